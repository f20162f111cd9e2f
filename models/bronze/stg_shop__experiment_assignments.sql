-- Valid experiment_assignments rows, typed; rows failing a hard rule go to quarantine_experiment_assignments.
with
{{ shop_validation_ctes('experiment_assignments') }},

final as (
    select {{ shop_typed_columns('experiment_assignments') }}
    from validated_rows
    where _reason is null
)

select * from final
