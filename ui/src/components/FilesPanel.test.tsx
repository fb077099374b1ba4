import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import type { ChatFile } from "../bindings/ChatFile";
import { reduce as reducer } from "../store/reducer";
import { initialState } from "../store/state";
import { fileSize, transferText } from "../text";
import { FilesPanel } from "./FilesPanel";

const ME = 1;
const file = (id: number, over: Partial<ChatFile["file"]> = {}, kept = false): ChatFile => ({
  conversationId: 10,
  kept,
  file: {
    id,
    filename: `scan-${id}.pdf`,
    mimetype: "application/pdf",
    size: 52_311,
    url: `/files/link/${id}/1/sig`,
    uploadedBy: { id: 2, name: "Chloe Martin", email: "chloe@example.com" },
    createdAt: "2026-12-07T10:00:00.000Z",
    ...over,
  },
});

const noop = () => {};

describe("FilesPanel", () => {
  it("lists files with size, who and when; Delete only on one's own, after a confirmation", async () => {
    const onDelete = vi.fn();
    const onOpen = vi.fn();
    const mine = file(7, { filename: "<b>care plan</b>.pdf", uploadedBy: { id: ME, name: "Amara", email: "a@x" } }, true);
    render(
      <FilesPanel files={[mine, file(6)]} thumbnails={{}} onThumbnail={noop} transfers={[]} me={ME} onAttach={noop} onOpen={onOpen} onDelete={onDelete} onCancel={noop} onClose={noop} />,
    );
    const rows = screen.getAllByRole("listitem");
    expect(rows).toHaveLength(2);
    // A name is text, never markup.
    expect(within(rows[0]!).getByText("<b>care plan</b>.pdf")).toBeInTheDocument();
    expect(rows[0]).toHaveTextContent("51 KB · you ·");
    expect(rows[0]).toHaveTextContent("on this computer");
    expect(rows[1]).toHaveTextContent("Chloe Martin");
    expect(within(rows[1]!).queryByRole("button", { name: /Delete/ })).toBeNull();
    const user = userEvent.setup();
    await user.click(within(rows[0]!).getByRole("button", { name: "Delete <b>care plan</b>.pdf" }));
    expect(onDelete).not.toHaveBeenCalled();
    await user.click(within(rows[0]!).getByRole("button", { name: "Delete for everyone" }));
    expect(onDelete).toHaveBeenCalledWith(mine);
    await user.click(within(rows[1]!).getByRole("button", { name: "Open scan-6.pdf" }));
    expect(onOpen).toHaveBeenCalledTimes(1);
  });

  it("shows transfers with their progress and a way to stop them, and why one failed", async () => {
    const onCancel = vi.fn();
    render(
      <FilesPanel
        files={[]}
        thumbnails={{}}
        onThumbnail={noop}
        transfers={[
          { id: "t1", conversationId: 10, kind: "upload", name: "wound.jpg", done: 50, total: 200, error: null },
          { id: "t2", conversationId: 10, kind: "upload", name: "run.bat", done: 0, total: 0, error: "This kind of file cannot be shared." },
        ]}
        me={ME}
        onAttach={noop}
        onOpen={noop}
        onDelete={noop}
        onCancel={onCancel}
        onClose={noop}
      />,
    );
    expect(screen.getByText("Sending wound.jpg…")).toBeInTheDocument();
    expect(screen.getByRole("progressbar", { name: "wound.jpg: 25%" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("This kind of file cannot be shared.");
    await userEvent.setup().click(screen.getByRole("button", { name: "Cancel" }));
    expect(onCancel).toHaveBeenCalledWith("t1");
    expect(screen.getByText(/No files in this chat yet/)).toBeInTheDocument();
  });
});

describe("thumbnails", () => {
  it("asks for a photo's thumbnail and draws it; a document keeps its icon", () => {
    const asked = vi.fn();
    const photo = file(8, { filename: "wound.jpg", mimetype: "image/jpeg" });
    const { container } = render(
      <FilesPanel files={[photo, file(6)]} thumbnails={{ 8: "blob:thumb-8" }} onThumbnail={asked} transfers={[]} me={ME} onAttach={noop} onOpen={noop} onDelete={noop} onCancel={noop} onClose={noop} />,
    );
    expect(asked).toHaveBeenCalledTimes(1);
    expect(asked).toHaveBeenCalledWith(photo);
    const imgs = container.querySelectorAll("img.file-thumb");
    expect(imgs).toHaveLength(1);
    expect(imgs[0]!.getAttribute("src")).toBe("blob:thumb-8");
  });
});

describe("transfers in the store", () => {
  it("start, move on, fail and end", () => {
    let s = reducer(initialState, {
      type: "transferStarted",
      transfer: { id: "t1", conversationId: 10, kind: "open", name: "a.pdf", done: 0, total: 0, error: null },
    });
    s = reducer(s, { type: "transferProgress", id: "t1", done: 5, total: 10 });
    expect(s.transfers[0]).toMatchObject({ done: 5, total: 10 });
    s = reducer(s, { type: "transferFailed", id: "t1", error: "offline" });
    expect(transferText(s.transfers[0]!)).toBe("a.pdf did not open");
    s = reducer(s, { type: "transferEnded", id: "t1" });
    expect(s.transfers).toEqual([]);
    expect(fileSize(3 * 1024 * 1024 + 200_000)).toBe("3.2 MB");
  });
});
