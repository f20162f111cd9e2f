{#-
  Governance: who reads which schema (roles, Postgres only), PII hashing, and the erasure register behind the
  right to be forgotten. Readers per schema come from var('schema_readers') in dbt_project.yml, the same
  lists the models' `grants` config uses, so schema USAGE, default privileges and dbt grants never disagree.
-#}

{#-
  on-run-start: the erasure register (every engine), then roles and schema privileges (Postgres). Roles and
  grants follow the prod schema names: a developer's target (macros/generate_schema_name.sql) leaves them be.
-#}
{% macro create_governance_objects() -%}
    {{ return(adapter.dispatch('create_governance_objects', 'emporium')()) }}
{%- endmacro %}

{% macro default__create_governance_objects() -%}
    {{ create_erasure_register() }};
    {{ create_roles() if is_prod_target() else 'select 1' }}
{%- endmacro %}

{#-
  governance.erasure_requests: one row per customer to forget. Created if missing and never dropped: it lives
  outside dbt's models, so no --full-refresh removes it, and the customer models read it on every build.
-#}
{% macro create_erasure_register() -%}
    {{ return(adapter.dispatch('create_erasure_register', 'emporium')()) }}
{%- endmacro %}

{% macro default__create_erasure_register() -%}
    create schema if not exists governance;
    create table if not exists governance.erasure_requests (
        customer_id bigint not null primary key,
        requested_at timestamp not null
    )
{%- endmacro %}

{#- True when the row's customer has an erasure request (read through its one staging model). -#}
{% macro is_erased(customer_id) -%}
    coalesce({{ customer_id }} in (select erasure.customer_id from {{ ref('stg_governance__erasure_requests') }} as erasure), false)
{%- endmacro %}

{#- `expression`, or null when the row's customer is erased (PII leaves silver and gold that way). -#}
{% macro unless_erased(expression, customer_id='customer_id') -%}
    case when not {{ is_erased(customer_id) }} then {{ expression }} end
{%- endmacro %}

{#- `column`, or its salted hash when the row's customer is erased (bronze: keeps versions apart). -#}
{% macro hashed_if_erased(column, customer_id='customer_id') -%}
    case when {{ is_erased(customer_id) }} then {{ pii_hash(column) }} else {{ column }} end
{%- endmacro %}

{#-
  A salted one-way hash of a PII value (hex SHA-256; null stays null). The salt comes from EMPORIUM_PII_SALT;
  the default is for local development only. Same digest on every engine, so hashes join across them.
-#}
{% macro pii_hash(column) -%}
    {%- set salt = env_var('EMPORIUM_PII_SALT', 'emporium-local-dev-only-salt') | replace("'", "''") -%}
    {{ return(adapter.dispatch('pii_hash', 'emporium')(column, "'" ~ salt ~ "'")) }}
{%- endmacro %}

{% macro default__pii_hash(column, salt) -%}
    case when {{ column }} is not null then sha256({{ salt }} || cast({{ column }} as {{ string_type() }})) end
{%- endmacro %}

{% macro postgres__pii_hash(column, salt) -%}
    case when {{ column }} is not null then encode(sha256(convert_to({{ salt }} || cast({{ column }} as {{ string_type() }}), 'UTF8')), 'hex') end
{%- endmacro %}

{#- Roles and schema privileges; a no-op where the engine has no roles (DuckDB). -#}
{% macro create_roles() -%}
    {{ return(adapter.dispatch('create_roles', 'emporium')()) }}
{%- endmacro %}

{% macro default__create_roles() -%}
    select 1
{%- endmacro %}

{#-
  Idempotent (roles are cluster-wide): each role a NOLOGIN group, plus a LOGIN member `emporium_<role>`
  (no password: set one, or use your own users, on a shared server). Every schema of var('schema_readers')
  is created if missing; its readers get USAGE, SELECT on what exists and SELECT on what the dbt user
  creates later (default privileges: raw tables of the loader, GX results, snapshots).
-#}
{% macro postgres__create_roles() -%}
    {%- set readers = var('schema_readers') -%}
    {%- set roles = [] -%}
    {%- for names in readers.values() -%}
        {%- for name in names if name not in roles -%}{%- do roles.append(name) -%}{%- endfor -%}
    {%- endfor -%}
    do $roles$
    begin
    {%- for role in roles %}
        if not exists (select from pg_roles where rolname = '{{ role }}') then
            create role {{ role }} nologin;
        end if;
        if not exists (select from pg_roles where rolname = 'emporium_{{ role }}') then
            create role emporium_{{ role }} login in role {{ role }};
        end if;
    {%- endfor %}
    end
    $roles$;
    {%- for schema, names in readers.items() %}
    create schema if not exists {{ schema }};
    grant usage on schema {{ schema }} to {{ names | join(', ') }};
    grant select on all tables in schema {{ schema }} to {{ names | join(', ') }};
    alter default privileges in schema {{ schema }} grant select on tables to {{ names | join(', ') }};
    {%- endfor %}
    grant usage on schema {{ target.schema }} to {{ roles | join(', ') }}
{%- endmacro %}

{#-
  `dbt run-operation purge_customer --args '{customer_id: 42}'` (or `emporium purge 42`): register the erasure
  and scrub the customer's existing rows everywhere now; the models read the register, so every later build,
  incremental or full refresh, keeps them erased. Orders, items, sessions and the rest keep the customer_id
  (a pseudonymous key) so revenue, counts and every aggregate stay exactly the same.
-#}
{% macro purge_customer(customer_id) -%}
    {%- set id = customer_id | int -%}
    {%- if id <= 0 -%}
        {{ exceptions.raise_compiler_error("purge_customer: customer_id must be a positive integer, got " ~ customer_id) }}
    {%- endif -%}
    {%- set pii = ['first_name', 'last_name', 'email', 'phone', 'street_address'] -%}
    {%- set hashed = {} -%}
    {%- for column in pii -%}{%- do hashed.update({column: pii_hash(column)}) -%}{%- endfor -%}
    {%- set nulls = {} -%}
    {%- for column in pii -%}{%- do nulls.update({column: 'null'}) -%}{%- endfor -%}
    {%- set erased_nulls = dict(nulls, is_erased='true') -%}
    {%- set key = 'customer_id = ' ~ id -%}
    {#- relation: (where, assignments; none = delete the rows). Bronze keeps salted hashes so silver still
        tells versions apart (bronze.stg_shop__customers does the same on rebuilds). -#}
    {%- set scrubs = [
        ('bronze', 'stg_shop__customers', key, hashed),
        ('bronze', 'quarantine_customers', try_cast_as('customer_id', 'bigint') ~ ' = ' ~ id, nulls),
        ('silver', 'int_customers__history', key, erased_nulls),
        ('silver', 'customers', key, erased_nulls),
        ('snapshots', 'snap_customers', key, nulls),
        ('gold', 'dim_customers', key, {'email_hash': 'null', 'email_domain': 'null', 'phone_hash': 'null', 'is_erased': 'true'}),
        ('ml', 'fm_customer_churn_features', key, none),
        ('ml', 'fm_customer_product_interactions', key, none),
        ('ml', 'churn_predictions', key, none),
        ('ml', 'recommendations', key, none),
        ('gold', 'mart_customer_churn_risk', key, none),
        ('ml', 'prediction_log', key, {'customer_id': 'null'}),
    ] -%}
    {%- set statements = [create_erasure_register(),
        "insert into governance.erasure_requests (customer_id, requested_at) select " ~ id ~ ", "
        ~ dbt.current_timestamp() ~ " where not exists (select 1 from governance.erasure_requests where " ~ key ~ ")"] -%}
    {%- set scrubbed = [] -%}
    {%- for schema, table, where, assignments in scrubs -%}
        {%- set relation = adapter.get_relation(database=target.database, schema=schema, identifier=table) -%}
        {%- if relation is not none -%}
            {%- set present = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
            {%- set sets = none if assignments is none else {} -%}
            {%- for column, value in (assignments or {}).items() if column in present -%}
                {%- do sets.update({column: value}) -%}
            {%- endfor -%}
            {%- do statements.extend(scrub_statements(relation, where, sets, present)) -%}
            {%- do scrubbed.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for statement in statements -%}
        {%- do run_query(statement) -%}
    {%- endfor -%}
    {%- do adapter.commit() -%}
    {{ log("purge_customer: customer " ~ id ~ " registered for erasure and scrubbed in " ~ (scrubbed | length) ~ " relations", info=true) }}
{%- endmacro %}

{#- The statements that scrub the rows of `relation` matching `where`: set `assignments` (column -> SQL value),
    or delete the rows when it is none. `columns`: the relation's columns, in order. -#}
{% macro scrub_statements(relation, where, assignments, columns) -%}
    {{ return(adapter.dispatch('scrub_statements', 'emporium')(relation, where, assignments, columns)) }}
{%- endmacro %}

{% macro default__scrub_statements(relation, where, assignments, columns) -%}
    {%- if assignments is none -%}
        {{ return(["delete from " ~ relation ~ " where " ~ where]) }}
    {%- endif -%}
    {%- set sets = [] -%}
    {%- for column, value in assignments.items() -%}{%- do sets.append(column ~ " = " ~ value) -%}{%- endfor -%}
    {{ return(["update " ~ relation ~ " set " ~ sets | join(", ") ~ " where " ~ where]) }}
{%- endmacro %}
