//! Snapshot of the JSON Schema (schemars) of every generated type: a change
//! to the spec that changes a wire type shows up here as a reviewable diff.

use genesys_iac_client::JobStatus;
use genesys_iac_client::types::*;

macro_rules! schema_snapshots {
    ($($name:ident => $ty:ty),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let schema = schemars::schema_for!($ty);
                insta::assert_json_snapshot!(stringify!($name), schema);
            }
        )*
    };
}

schema_snapshots! {
    accelerator_input => AcceleratorInput,
    accelerator_parameter => AcceleratorParameter,
    detail => Detail,
    error_body => ErrorBody,
    error_info => ErrorInfo,
    infrastructureascode_job => InfrastructureascodeJob,
    infrastructureascode_job_entity_listing => InfrastructureascodeJobEntityListing,
    infrastructureascode_job_history => InfrastructureascodeJobHistory,
    infrastructureascode_job_status => JobStatus,
    job_array => JobArray,
    job_sort_by => JobSortBy,
    limit => Limit,
    sort_order => SortOrder,
    user_reference => UserReference,
}

/// Every named schema of the spec has a snapshot above (or is replaced by a
/// hand-written type that has one), so a new schema cannot slip in unguarded.
#[test]
fn every_spec_schema_is_covered() {
    let spec: openapiv3::OpenAPI =
        serde_norway::from_str(include_str!("../../../openapi/infrastructureascode.yaml"))
            .expect("the spec parses");
    let names: Vec<String> = spec
        .components
        .expect("components")
        .schemas
        .keys()
        .cloned()
        .collect();
    insta::assert_json_snapshot!(names);
}
