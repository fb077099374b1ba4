//! Files shared in a conversation (`/files/…`): separate from messages on both servers.
//!
//! Production keeps the bytes on a public CDN and its `url` opens without signing in; the
//! project's server answers a signed link that expires instead (Part B). The shapes are
//! production's, field for field.

use crate::{Id, Timestamp};
use serde::{Deserialize, Serialize};

/// Who uploaded a file (`uploadedBy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileUploader {
    /// User id.
    pub id: Id,
    /// Display name (production allows none).
    pub name: Option<String>,
    /// Login.
    pub email: String,
}

/// A file as `GET /files/conversation/:id` and `GET /files/:id` answer it; the upload's
/// answer has no `uploadedBy`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SharedFile {
    /// File id.
    pub id: Id,
    /// The name it was uploaded with.
    pub filename: String,
    /// Its type (production: as the uploader declared it; ours: from its content).
    pub mimetype: String,
    /// Bytes.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub size: i64,
    /// Where to fetch it without a token: production's public CDN link, or (ours) a signed
    /// link that expires within minutes.
    pub url: String,
    /// Who uploaded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub uploaded_by: Option<FileUploader>,
    /// When it was uploaded.
    pub created_at: Timestamp,
}

/// `POST /files/upload` (multipart: `file`, `conversationId`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAnswer {
    /// Always true.
    pub success: bool,
    /// The stored file.
    pub file: SharedFile,
}

/// `GET /files/conversation/:conversationId`: newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileList {
    /// Always true.
    pub success: bool,
    /// The conversation's files.
    pub files: Vec<SharedFile>,
}

/// `DELETE /files/:id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileDeleted {
    /// `"File deleted successfully"`.
    pub message: String,
}

/// Part B: `fileShared`, to the conversation's other participants when a file is uploaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileShared {
    /// Its conversation.
    pub conversation_id: Id,
    /// The file (its `url` signed for whoever receives it).
    pub file: SharedFile,
}

/// Part B: `fileRemoved`, to the conversation's participants when a file is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FileRemoved {
    /// Its conversation.
    pub conversation_id: Id,
    /// The file.
    pub file_id: Id,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn productions_list_reads() {
        // As production's controller writes it (`url` is the CDN's `secure_url`).
        let list: FileList = serde_json::from_value(json!({
            "success": true,
            "files": [{
                "id": 4, "filename": "wound.jpg", "mimetype": "image/jpeg", "size": 52311,
                "url": "https://res.cloudinary.com/x/image/upload/v1/nursecare-files/1-wound.jpg",
                "uploadedBy": {"id": 2, "name": "Chloe", "email": "chloe@example.com"},
                "createdAt": "2026-12-01T10:00:00.000Z"
            }]
        }))
        .unwrap();
        assert_eq!(list.files[0].uploaded_by.as_ref().unwrap().id, 2);
        let upload: UploadAnswer = serde_json::from_value(json!({
            "success": true,
            "file": {"id": 5, "filename": "a.pdf", "mimetype": "application/pdf", "size": 10,
                     "url": "https://cdn.example/a.pdf", "createdAt": "2026-12-01T10:00:00.000Z"}
        }))
        .unwrap();
        assert_eq!(upload.file.uploaded_by, None);
        let back = serde_json::to_value(&upload).unwrap();
        assert!(back["file"].get("uploadedBy").is_none(), "{back}");
    }
}
