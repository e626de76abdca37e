-- One database per service (DESIGN.md §3); run once by the postgres image on first start.
CREATE DATABASE jobportal_code_issuer;
CREATE DATABASE jobportal_registration;
CREATE DATABASE jobportal_notifier;
