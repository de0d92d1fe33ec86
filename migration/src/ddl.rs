//! Building blocks the migrations share. A migration's effect must never change
//! once released, so change these only by adding new functions.

use sea_orm_migration::prelude::*;

/// A named foreign key `from_table.from_col -> to_table.id`; deleting the target is refused.
pub fn fk(from_table: &str, from_col: &str, to_table: &str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(format!("fk_{from_table}_{from_col}"))
        .from(from_table.to_owned(), from_col.to_owned())
        .to(to_table.to_owned(), "id")
        .on_delete(ForeignKeyAction::Restrict)
        .to_owned()
}

/// An index `idx_<table>_<cols>` on `cols`.
pub fn index(table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(format!("idx_{table}_{}", cols.join("_")))
        .table(table.to_owned());
    for col in cols {
        stmt.col((*col).to_owned());
    }
    stmt.to_owned()
}

/// A unique index `uq_<table>_<cols>` on `cols`.
pub fn unique(table: &str, cols: &[&str]) -> IndexCreateStatement {
    let mut stmt = index(table, cols);
    stmt.name(format!("uq_{table}_{}", cols.join("_"))).unique();
    stmt.to_owned()
}
