"""The coordinator's dashboard (`/dashboard`): pipeline, countries, donors, overdue shipments,
the programme map and the latest events."""
