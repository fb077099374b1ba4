import { useEffect, useState } from "react";
import type { ChatFile } from "../bindings/ChatFile";
import type { Transfer } from "../store/state";
import { dayLabel, fileByline, fileSize, formatTime, transferText } from "../text";

/** Photos the window draws a thumbnail of (what WebKit decodes; HEIC keeps its icon). */
const THUMBNAILED = ["image/jpeg", "image/png", "image/gif", "image/webp"];

type Props = {
  files: ChatFile[] | undefined;
  thumbnails: Record<number, string>;
  onThumbnail: (file: ChatFile) => void;
  transfers: Transfer[];
  me: number | null;
  onAttach: () => void;
  onOpen: (file: ChatFile) => void;
  onDelete: (file: ChatFile) => void;
  onCancel: (transferId: string) => void;
  onClose: () => void;
};

/** A chat's files, newest first (name, size, who, when), with what is on its way above them. */
export function FilesPanel({ files, thumbnails, onThumbnail, transfers, me, onAttach, onOpen, onDelete, onCancel, onClose }: Props) {
  return (
    <section className="files-panel" aria-label="Files">
      <header className="files-header">
        <h3>Files</h3>
        <button type="button" className="primary-button" onClick={onAttach}>
          Attach…
        </button>
        <button type="button" className="secondary-button" onClick={onClose}>
          Close
        </button>
      </header>
      {transfers.length > 0 ? (
        <ul role="list" className="transfer-list" aria-label="In progress">
          {transfers.map((t) => (
            <TransferRow key={t.id} transfer={t} onCancel={onCancel} />
          ))}
        </ul>
      ) : null}
      {files === undefined ? <p className="list-status">Loading files…</p> : null}
      {files && files.length === 0 ? <p className="list-status">No files in this chat yet. Attach one, or drop it on the chat.</p> : null}
      <ul role="list" className="files-list">
        {(files ?? []).map((f) => (
          <FileRow
            key={f.file.id}
            file={f}
            thumbnail={thumbnails[f.file.id]}
            onThumbnail={onThumbnail}
            mine={f.file.uploadedBy?.id === me}
            onOpen={onOpen}
            onDelete={onDelete}
          />
        ))}
      </ul>
    </section>
  );
}

type RowProps = {
  file: ChatFile;
  thumbnail: string | undefined;
  onThumbnail: (f: ChatFile) => void;
  mine: boolean;
  onOpen: (f: ChatFile) => void;
  onDelete: (f: ChatFile) => void;
};

function FileRow({ file, thumbnail, onThumbnail, mine, onOpen, onDelete }: RowProps) {
  const [confirming, setConfirming] = useState(false);
  const f = file.file;
  const image = f.mimetype.startsWith("image/");
  const drawn = THUMBNAILED.includes(f.mimetype);
  useEffect(() => {
    if (drawn) onThumbnail(file);
  }, [drawn, file, onThumbnail]);
  return (
    <li className="file-row" data-file-id={f.id}>
      {thumbnail ? (
        <img className="file-thumb" src={thumbnail} alt="" />
      ) : (
        <span className="file-icon" aria-hidden="true">
          {image ? "🖼️" : "📄"}
        </span>
      )}
      <span className="file-body">
        <span className="file-name">{f.filename}</span>
        <span className="file-meta">
          {fileSize(f.size)} · {fileByline(f.uploadedBy, mine)} · <time dateTime={f.createdAt}>{dayLabel(f.createdAt)} {formatTime(f.createdAt)}</time>
          {file.kept ? " · on this computer" : ""}
        </span>
      </span>
      <button type="button" className="secondary-button" onClick={() => onOpen(file)} aria-label={`Open ${f.filename}`}>
        Open
      </button>
      {mine ? (
        confirming ? (
          <button
            type="button"
            className="danger-button"
            onClick={() => {
              setConfirming(false);
              onDelete(file);
            }}
          >
            Delete for everyone
          </button>
        ) : (
          <button type="button" className="secondary-button" onClick={() => setConfirming(true)} aria-label={`Delete ${f.filename}`}>
            Delete
          </button>
        )
      ) : null}
    </li>
  );
}

function TransferRow({ transfer, onCancel }: { transfer: Transfer; onCancel: (id: string) => void }) {
  const percent = transfer.total > 0 ? Math.round((transfer.done * 100) / transfer.total) : 0;
  return (
    <li className={transfer.error ? "transfer-row failed" : "transfer-row"}>
      <span className="transfer-what">{transferText(transfer)}</span>
      {transfer.error ? (
        <span role="alert" className="transfer-error">
          {transfer.error}
        </span>
      ) : (
        <progress max={100} value={percent} aria-label={`${transfer.name}: ${percent}%`} />
      )}
      <button type="button" className="secondary-button" onClick={() => onCancel(transfer.id)}>
        {transfer.error ? "Dismiss" : "Cancel"}
      </button>
    </li>
  );
}
