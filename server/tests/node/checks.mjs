// What every script here shares: the JSON world the Rust test passes (argv[2]), numbered
// checks, waiting for one event with a time-out, and the summary line the test reads.
export const world = JSON.parse(process.argv[2]);
const TIMEOUT = 5000;
let checks = 0;

// One check: fails the script at the first false one.
export function ok(cond, what) {
  if (!cond) throw new Error(`failed: ${what}`);
  checks += 1;
  console.log(`ok ${checks} - ${what}`);
}

// Resolves with the arguments of the next `event` on `socket`.
export function next(socket, event) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${TIMEOUT} ms`)), TIMEOUT);
    socket.once(event, (...args) => {
      clearTimeout(timer);
      resolve(args);
    });
  });
}

// Runs the script's checks and prints "N passed, F failed"; a failure exits non-zero.
export function run(main) {
  main()
    .then(() => console.log(`${checks} passed, 0 failed`))
    .catch((e) => {
      console.error(e.message);
      console.log(`${checks} passed, 1 failed`);
      process.exit(1);
    });
}
