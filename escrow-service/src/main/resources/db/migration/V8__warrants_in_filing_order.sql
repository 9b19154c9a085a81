-- ListWarrants pages through warrants in filing order (the order of their filing leaves).
create index warrants_in_filing_order on warrants (audit_index);
