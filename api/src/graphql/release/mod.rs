//! Releases in the schema: the object, the list with filters and cursors, and
//! the mutations that create, edit and move them.

mod list;
mod mutation;
mod object;

pub(crate) use list::{page_complexity, page_request};
pub use list::{DateRange, ReleaseQuery};
pub use mutation::ReleaseMutation;
pub use object::Release;
