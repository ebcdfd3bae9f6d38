"""The PostgreSQL warehouse itself: connections, the embedded server, the raw and ops tables,
the read-only BI role and the build lease. Imports only revwh.core."""
