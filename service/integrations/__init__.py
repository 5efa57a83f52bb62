"""Journal and catalogue integrations: HL7 CDS Hooks (cds, its JWT checks in cds_auth, FHIR facts
in fhir) and Open Referral HSDS (hsds). Imports `engine` and `service.core`."""
