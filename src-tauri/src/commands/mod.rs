//! The commands the window may call, one file per domain, each a thin call into the core.
//! Every command answers a value or an [`ErrorReport`] (a kind the UI words itself).

pub mod calls;
pub mod catalogue;
pub mod conversations;
pub mod files;
pub mod lock;
pub mod messages;
pub mod session;
pub mod settings;

use nursecare_core::ErrorReport;

/// A command's answer.
pub type Answer<T> = Result<T, ErrorReport>;

/// A core error as the window's report.
pub(crate) fn report<E>(e: E) -> ErrorReport
where
    for<'a> &'a E: Into<nursecare_core::ErrorKind>,
{
    ErrorReport::of(&e)
}
