//! Exists because Linux trays show neither tooltips nor titles and send no clicks: the unread
//! count is drawn into the icon itself (and a mark while a call is missed), and the menu carries
//! Open, Lock, the unread and missed-call lines and Quit. Windows trays also show the tooltip with
//! the count and send clicks (a left click opens the window).

use crate::windows;
use tauri::image::Image;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Wry};

/// The tray's id.
const TRAY: &str = "main";

/// The plain icon (32×32 RGBA).
const BASE_PNG: &[u8] = include_bytes!("../../icons/32x32.png");

/// What the tray keeps to update it.
pub struct Tray {
    icon: TrayIcon,
    unread_line: MenuItem<Wry>,
    missed_line: MenuItem<Wry>,
    urgent_line: MenuItem<Wry>,
    base: (Vec<u8>, u32, u32),
    /// What is drawn now.
    shown: std::sync::Mutex<Shown>,
}

/// Makes the tray icon and its menu.
pub fn build(app: &AppHandle) -> tauri::Result<Tray> {
    let open = MenuItem::with_id(app, "open", "Open NurseCare", true, None::<&str>)?;
    let lock = MenuItem::with_id(app, "lock", "Lock NurseCare", true, Some("CmdOrCtrl+L"))?;
    let unread_line = MenuItem::with_id(app, "unread", unread_text(0), false, None::<&str>)?;
    let missed_line = MenuItem::with_id(app, "missed", missed_text(0), false, None::<&str>)?;
    let urgent_line = MenuItem::with_id(app, "urgent", urgent_text(0), false, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit NurseCare", true, Some("CmdOrCtrl+Q"))?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &lock,
            &unread_line,
            &missed_line,
            &urgent_line,
            &PredefinedMenuItem::separator(app)?,
            &quit,
        ],
    )?;
    let base = Image::from_bytes(BASE_PNG)?;
    let base = (base.rgba().to_vec(), base.width(), base.height());
    let icon = TrayIconBuilder::with_id(TRAY)
        .icon(Image::new_owned(base.0.clone(), base.1, base.2))
        .tooltip("NurseCare")
        .menu(&menu)
        // Windows trays send clicks: a left click opens the window, the right one the menu.
        .show_menu_on_left_click(!cfg!(windows))
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                windows::show_main(tray.app_handle());
            }
        })
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => windows::show_main(app),
            "lock" => app
                .state::<std::sync::Arc<crate::state::AppState>>()
                .lock()
                .lock_now(),
            "quit" => crate::quit(app),
            _ => {}
        })
        .build(app)?;
    Ok(Tray {
        icon,
        unread_line,
        missed_line,
        urgent_line,
        base,
        shown: std::sync::Mutex::default(),
    })
}

/// The numbers the icon shows (never a name).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Shown {
    /// Unread messages.
    pub unread: u64,
    /// Chats with a missed call.
    pub missed: usize,
    /// Chats holding an urgent message not read.
    pub urgent: usize,
}

/// Shows the count in the icon and the menu.
pub fn show_count(app: &AppHandle, unread: u64) {
    if let Some(tray) = app.try_state::<Tray>() {
        redraw(&tray, |s| s.unread = unread);
        let _ = tray.unread_line.set_text(unread_text(unread));
    }
}

/// Shows how many chats have a missed call (a mark on the icon, a menu line).
pub fn show_missed(app: &AppHandle, missed: usize) {
    if let Some(tray) = app.try_state::<Tray>() {
        redraw(&tray, |s| s.missed = missed);
        let _ = tray.missed_line.set_text(missed_text(missed));
    }
}

/// Shows how many chats hold an urgent message not read yet (a mark on the icon, a menu
/// line; no names).
pub fn show_urgent(app: &AppHandle, chats: usize) {
    if let Some(tray) = app.try_state::<Tray>() {
        redraw(&tray, |s| s.urgent = chats);
        let _ = tray.urgent_line.set_text(urgent_text(chats));
    }
}

fn redraw(tray: &Tray, change: impl FnOnce(&mut Shown)) {
    let shown = {
        let mut shown = tray.shown.lock().expect("tray lock");
        change(&mut shown);
        *shown
    };
    let (mut rgba, w, h) = tray.base.clone();
    draw_marks(&mut rgba, w, h, shown);
    if let Err(e) = tray.icon.set_icon(Some(Image::new_owned(rgba, w, h))) {
        tracing::debug!(error = %e, "tray icon not updated");
    }
    let _ = tray.icon.set_tooltip(Some(tooltip(shown)));
}

/// Draws what `shown` says on the icon: the count (bottom right), a missed call (top left),
/// an urgent message (top right).
pub fn draw_marks(rgba: &mut [u8], w: u32, h: u32, shown: Shown) {
    draw_count(rgba, w, h, shown.unread);
    if shown.missed > 0 {
        draw_missed(rgba, w, h);
    }
    if shown.urgent > 0 {
        draw_urgent(rgba, w, h);
    }
}

/// The icon's tooltip (Windows shows it; at most 127 characters there).
pub fn tooltip(shown: Shown) -> String {
    let mut text = format!("NurseCare\n{}", unread_text(shown.unread));
    if shown.urgent > 0 {
        text.push('\n');
        text.push_str(&urgent_text(shown.urgent));
    }
    if shown.missed > 0 {
        text.push('\n');
        text.push_str(&missed_text(shown.missed));
    }
    // Windows shows at most 127 UTF-16 units; the lines that matter most come first.
    text.chars().take(127).collect()
}

/// Draws a red disc with a white "!" at the icon's top-right: an urgent message waits.
pub fn draw_urgent(rgba: &mut [u8], w: u32, h: u32) {
    if w < 16 || h < 16 || rgba.len() < (w * h * 4) as usize {
        return;
    }
    let r = (w.min(h) as f32) * 0.24;
    let (cx, cy) = (w as f32 - r - 0.5, r + 0.5);
    // The "!": a bar and a dot, each a fifth of the disc wide.
    let stroke = (r * 0.4).max(1.0);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            if dx * dx + dy * dy > r * r {
                continue;
            }
            let in_bar = dx.abs() <= stroke / 2.0 && dy >= -r * 0.7 && dy <= r * 0.15;
            let in_dot = dx.abs() <= stroke / 2.0 && dy >= r * 0.35 && dy <= r * 0.35 + stroke;
            let i = ((y * w + x) * 4) as usize;
            rgba[i..i + 4].copy_from_slice(if in_bar || in_dot { &INK } else { &URGENT });
        }
    }
}

/// The urgent mark's red (darker than the count's, so the two read apart).
pub const URGENT: [u8; 4] = [0xb9, 0x1c, 0x1c, 0xff];

/// The menu's urgent line.
pub fn urgent_text(chats: usize) -> String {
    match chats {
        0 => "No urgent messages".into(),
        1 => "Urgent message not read (open its chat)".into(),
        n => format!("Urgent messages not read in {n} chats"),
    }
}

/// The menu's missed-call line.
pub fn missed_text(chats: usize) -> String {
    match chats {
        0 => "No missed calls".into(),
        1 => "Missed call (open its chat)".into(),
        n => format!("Missed calls in {n} chats"),
    }
}

/// The missed-call mark's amber.
pub const MISSED: [u8; 4] = [0xf5, 0x9e, 0x0b, 0xff];

/// Draws an amber disc at the icon's top-left: a call was missed.
pub fn draw_missed(rgba: &mut [u8], w: u32, h: u32) {
    if w < 16 || h < 16 || rgba.len() < (w * h * 4) as usize {
        return;
    }
    let r = (w.min(h) as f32) * 0.2;
    let (cx, cy) = (r + 0.5, r + 0.5);
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            if dx * dx + dy * dy <= r * r {
                let i = ((y * w + x) * 4) as usize;
                rgba[i..i + 4].copy_from_slice(&MISSED);
            }
        }
    }
}

/// The menu's unread line.
pub fn unread_text(unread: u64) -> String {
    match unread {
        0 => "No unread messages".into(),
        1 => "1 unread message".into(),
        n => format!("{n} unread messages"),
    }
}

/// Digits 0-9 as 3×5 bitmaps (rows top to bottom, 3 bits each, high bit left); "+" at 10.
const GLYPHS: [[u8; 5]; 11] = [
    [0b111, 0b101, 0b101, 0b101, 0b111],
    [0b010, 0b110, 0b010, 0b010, 0b111],
    [0b111, 0b001, 0b111, 0b100, 0b111],
    [0b111, 0b001, 0b111, 0b001, 0b111],
    [0b101, 0b101, 0b111, 0b001, 0b001],
    [0b111, 0b100, 0b111, 0b001, 0b111],
    [0b111, 0b100, 0b111, 0b101, 0b111],
    [0b111, 0b001, 0b010, 0b010, 0b010],
    [0b111, 0b101, 0b111, 0b101, 0b111],
    [0b111, 0b101, 0b111, 0b001, 0b111],
    [0b000, 0b010, 0b111, 0b010, 0b000],
];

/// The badge's red.
pub const BADGE: [u8; 4] = [0xd9, 0x2d, 0x20, 0xff];
/// The digits' white.
pub const INK: [u8; 4] = [0xff, 0xff, 0xff, 0xff];

/// Draws a red disc with the count (1–9, or "9+") at the icon's bottom-right; 0 draws nothing.
pub fn draw_count(rgba: &mut [u8], w: u32, h: u32, count: u64) {
    let r = (w.min(h) as f32) * 0.34;
    draw_disc(
        rgba,
        w,
        h,
        count,
        (w as f32 - r - 0.5, h as f32 - r - 0.5),
        r,
    );
}

/// The taskbar button's overlay (Windows): the count alone in a 32×32 red disc; none at 0.
pub fn overlay(unread: u64) -> Option<Image<'static>> {
    if unread == 0 {
        return None;
    }
    let mut rgba = vec![0u8; 32 * 32 * 4];
    draw_disc(&mut rgba, 32, 32, unread, (16.0, 16.0), 15.5);
    Some(Image::new_owned(rgba, 32, 32))
}

/// A red disc at (cx, cy) of radius r with the count in it.
fn draw_disc(rgba: &mut [u8], w: u32, h: u32, count: u64, (cx, cy): (f32, f32), r: f32) {
    if count == 0 || w < 16 || h < 16 || rgba.len() < (w * h * 4) as usize {
        return;
    }
    let mut put = |x: u32, y: u32, c: [u8; 4]| {
        if x < w && y < h {
            let i = ((y * w + x) * 4) as usize;
            rgba[i..i + 4].copy_from_slice(&c);
        }
    };
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f32 + 0.5 - cx, y as f32 + 0.5 - cy);
            if dx * dx + dy * dy <= r * r {
                put(x, y, BADGE);
            }
        }
    }
    let glyphs: Vec<usize> = if count > 9 {
        vec![9, 10]
    } else {
        vec![count as usize]
    };
    // Scale the 3×5 font to fit the disc: each glyph 3s wide, 1s gap.
    let s = ((r * 1.2) / 5.0).floor().max(1.0) as u32;
    let text_w = glyphs.len() as u32 * 3 * s + (glyphs.len() as u32 - 1) * s;
    let x0 = (cx - text_w as f32 / 2.0).round() as u32;
    let y0 = (cy - (5 * s) as f32 / 2.0).round() as u32;
    for (n, g) in glyphs.iter().enumerate() {
        let gx = x0 + n as u32 * 4 * s;
        for (row, bits) in GLYPHS[*g].iter().enumerate() {
            for col in 0..3u32 {
                if bits & (0b100 >> col) != 0 {
                    for yy in 0..s {
                        for xx in 0..s {
                            put(gx + col * s + xx, y0 + row as u32 * s + yy, INK);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blank() -> Vec<u8> {
        vec![0u8; 32 * 32 * 4]
    }

    fn at(rgba: &[u8], x: u32, y: u32) -> [u8; 4] {
        let i = ((y * 32 + x) * 4) as usize;
        rgba[i..i + 4].try_into().unwrap()
    }

    /// The icon as text: `#` ink, `o` badge, `.` untouched.
    fn picture(rgba: &[u8]) -> String {
        (0..32)
            .map(|y| {
                (0..32)
                    .map(|x| match at(rgba, x, y) {
                        INK => '#',
                        BADGE => 'o',
                        _ => '.',
                    })
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn no_count_leaves_the_icon_as_it_is() {
        let mut icon = blank();
        draw_count(&mut icon, 32, 32, 0);
        assert_eq!(icon, blank());
    }

    /// A 3 on a 32×32 icon, as it must look.
    const THREE: &str = "\
................................
................................
................................
................................
................................
................................
................................
................................
................................
................................
.................oooooooo.......
...............oooooooooooo.....
.............ooooooooooooooo....
............ooooooooooooooooo...
............oooooooooooooooooo..
...........ooooooooooooooooooo..
...........ooooooo######ooooooo.
..........oooooooo######ooooooo.
..........oooooooooooo##ooooooo.
..........oooooooooooo##ooooooo.
..........oooooooo######ooooooo.
..........oooooooo######ooooooo.
..........oooooooooooo##ooooooo.
..........oooooooooooo##ooooooo.
..........oooooooo######ooooooo.
...........ooooooo######oooooo..
...........ooooooooooooooooooo..
............ooooooooooooooooo...
.............ooooooooooooooo....
..............ooooooooooooo.....
................ooooooooo.......
................................";

    #[test]
    fn the_count_is_drawn_in_a_red_disc_at_the_bottom_right() {
        let mut icon = blank();
        draw_count(&mut icon, 32, 32, 3);
        assert_eq!(picture(&icon), THREE, "\n{}", picture(&icon));
        let mut eight = blank();
        draw_count(&mut eight, 32, 32, 8);
        assert_ne!(picture(&eight), THREE, "different counts draw differently");
    }

    #[test]
    fn large_counts_read_nine_plus() {
        let mut many = blank();
        draw_count(&mut many, 32, 32, 250);
        let mut ten = blank();
        draw_count(&mut ten, 32, 32, 10);
        assert_eq!(many, ten);
        let ink = many.chunks(4).filter(|p| *p == INK).count();
        let mut nine = blank();
        draw_count(&mut nine, 32, 32, 9);
        let ink_nine = nine.chunks(4).filter(|p| *p == INK).count();
        assert!(ink > ink_nine, "9+ has more ink than 9");
    }

    #[test]
    fn a_missed_call_marks_the_top_left_and_leaves_the_count_alone() {
        let mut icon = blank();
        draw_count(&mut icon, 32, 32, 3);
        let counted = icon.clone();
        draw_missed(&mut icon, 32, 32);
        assert_eq!(at(&icon, 3, 3), MISSED);
        assert_eq!(at(&icon, 31 - 3, 31 - 3), at(&counted, 31 - 3, 31 - 3));
        assert_eq!(missed_text(0), "No missed calls");
        assert_eq!(missed_text(2), "Missed calls in 2 chats");
    }

    #[test]
    fn the_taskbar_overlay_is_the_count_alone() {
        assert!(overlay(0).is_none());
        let three = overlay(3).unwrap();
        assert_eq!((three.width(), three.height()), (32, 32));
        let rgba = three.rgba();
        assert_eq!(at(rgba, 16, 1), BADGE, "the disc fills the icon");
        assert_eq!(at(rgba, 0, 0), [0; 4], "its corners stay clear");
        assert!(rgba.chunks(4).any(|p| p == INK));
        assert_ne!(overlay(8).unwrap().rgba(), rgba);
    }

    #[test]
    fn the_tooltip_says_the_counts_in_words() {
        let shown = |unread, missed, urgent| Shown {
            unread,
            missed,
            urgent,
        };
        assert_eq!(tooltip(shown(0, 0, 0)), "NurseCare\nNo unread messages");
        assert_eq!(
            tooltip(shown(12, 2, 0)),
            "NurseCare\n12 unread messages\nMissed calls in 2 chats"
        );
        assert_eq!(
            tooltip(shown(3, 0, 1)),
            "NurseCare\n3 unread messages\nUrgent message not read (open its chat)"
        );
        assert!(
            tooltip(shown(u64::MAX, usize::MAX, usize::MAX))
                .encode_utf16()
                .count()
                <= 127
        );
    }

    #[test]
    fn an_urgent_message_marks_the_top_right_with_a_bang_and_leaves_the_rest() {
        let mut icon = blank();
        let counted_and_missed = Shown {
            unread: 3,
            missed: 1,
            urgent: 0,
        };
        draw_marks(&mut icon, 32, 32, counted_and_missed);
        let before = icon.clone();
        draw_marks(
            &mut icon,
            32,
            32,
            Shown {
                urgent: 2,
                ..counted_and_missed
            },
        );
        // The disc's edge is red; its middle column holds the white "!".
        assert_eq!(at(&icon, 31 - 2, 7), URGENT);
        let column: Vec<bool> = (1..15).map(|y| at(&icon, 24, y) == INK).collect();
        assert!(column.iter().filter(|i| **i).count() >= 5, "{column:?}");
        let runs = column.windows(2).filter(|w| w[0] != w[1]).count();
        assert!((3..=4).contains(&runs), "a bar, a gap, a dot: {column:?}");
        // The count and the missed mark stay as they were.
        assert_eq!(at(&icon, 31 - 3, 31 - 3), at(&before, 31 - 3, 31 - 3));
        assert_eq!(at(&icon, 3, 3), MISSED);
        let mut none = blank();
        draw_marks(&mut none, 32, 32, Shown::default());
        assert_eq!(none, blank(), "nothing to say, nothing drawn");
    }

    #[test]
    fn the_urgent_line_names_no_one() {
        assert_eq!(urgent_text(0), "No urgent messages");
        assert_eq!(urgent_text(1), "Urgent message not read (open its chat)");
        assert_eq!(urgent_text(3), "Urgent messages not read in 3 chats");
    }

    #[test]
    fn menu_line_words_the_count() {
        assert_eq!(unread_text(0), "No unread messages");
        assert_eq!(unread_text(1), "1 unread message");
        assert_eq!(unread_text(12), "12 unread messages");
    }
}
