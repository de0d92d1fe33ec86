"""Schemathesis hooks for scripts/fuzz: values for the schema's custom scalars
Schemathesis does not know (it refuses to fuzz an operation using one)."""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes

# `NaiveDate` (cost lines' incurredOn): real dates of every year, out-of-range
# ones included, and strings that are no date at all
schemathesis.graphql.scalar(
    "NaiveDate",
    st.one_of(st.dates().map(lambda d: d.isoformat()), st.text(max_size=24)).map(nodes.String),
)
