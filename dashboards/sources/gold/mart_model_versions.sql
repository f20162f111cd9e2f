-- who promoted a version by hand (approval_by) stays in the warehouse
select
    model_name,
    model_version,
    version_number,
    registered_at,
    registered_on,
    alias,
    approval_status,
    approval_reason,
    replaced_by,
    roc_auc,
    calibration_error,
    recall_at_k,
    recall_lift_over_popularity
from gold.mart_model_versions
