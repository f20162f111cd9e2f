{#-
  The landing contract (docs/landing-zone.md) as data: per entity its columns in landing order, the primary
  key first. kinds: id (positive bigint), text, money (decimal(18,2), >= 0), quantity (bigint, > 0),
  ts (timestamp), date, bool, email. `nullable` columns may be empty; `accepted` lists an enum's values;
  `fk` names the entity whose valid bronze keys must contain the value.
-#}
{% macro shop_entities() -%}
    {%- set entities = {
        'customers': [
            {'name': 'customer_id', 'kind': 'id'},
            {'name': 'first_name', 'kind': 'text'},
            {'name': 'last_name', 'kind': 'text'},
            {'name': 'email', 'kind': 'email'},
            {'name': 'phone', 'kind': 'text', 'nullable': true},
            {'name': 'street_address', 'kind': 'text'},
            {'name': 'city', 'kind': 'text'},
            {'name': 'postal_code', 'kind': 'text'},
            {'name': 'country_code', 'kind': 'text'},
            {'name': 'loyalty_tier', 'kind': 'text', 'accepted': ['standard', 'silver_club', 'gold_club', 'platinum_club']},
            {'name': 'marketing_opt_in', 'kind': 'bool'},
            {'name': 'signed_up_at', 'kind': 'ts'},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'products': [
            {'name': 'product_id', 'kind': 'id'},
            {'name': 'sku', 'kind': 'text'},
            {'name': 'product_name', 'kind': 'text'},
            {'name': 'category_code', 'kind': 'text'},
            {'name': 'brand', 'kind': 'text'},
            {'name': 'unit_price', 'kind': 'money'},
            {'name': 'currency_code', 'kind': 'text'},
            {'name': 'is_active', 'kind': 'bool'},
            {'name': 'created_at', 'kind': 'ts'},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'orders': [
            {'name': 'order_id', 'kind': 'id'},
            {'name': 'customer_id', 'kind': 'id', 'fk': 'customers'},
            {'name': 'order_status', 'kind': 'text', 'accepted': ['placed', 'paid', 'shipped', 'delivered', 'cancelled', 'returned']},
            {'name': 'channel_code', 'kind': 'text'},
            {'name': 'campaign_id', 'kind': 'id', 'nullable': true},
            {'name': 'currency_code', 'kind': 'text'},
            {'name': 'shipping_country_code', 'kind': 'text'},
            {'name': 'ordered_at', 'kind': 'ts'},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'order_items': [
            {'name': 'order_item_id', 'kind': 'id'},
            {'name': 'order_id', 'kind': 'id'},
            {'name': 'product_id', 'kind': 'id', 'fk': 'products'},
            {'name': 'quantity', 'kind': 'quantity'},
            {'name': 'unit_price', 'kind': 'money'},
            {'name': 'discount_amount', 'kind': 'money'},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'payments': [
            {'name': 'payment_id', 'kind': 'id'},
            {'name': 'order_id', 'kind': 'id'},
            {'name': 'payment_method', 'kind': 'text', 'accepted': ['card', 'paypal', 'bank_transfer', 'gift_card']},
            {'name': 'payment_status', 'kind': 'text', 'accepted': ['captured', 'failed', 'refunded']},
            {'name': 'amount', 'kind': 'money'},
            {'name': 'currency_code', 'kind': 'text'},
            {'name': 'paid_at', 'kind': 'ts'},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'returns': [
            {'name': 'return_id', 'kind': 'id'},
            {'name': 'order_id', 'kind': 'id'},
            {'name': 'order_item_id', 'kind': 'id'},
            {'name': 'return_reason', 'kind': 'text'},
            {'name': 'quantity', 'kind': 'quantity'},
            {'name': 'refund_amount', 'kind': 'money'},
            {'name': 'requested_at', 'kind': 'ts'},
            {'name': 'refunded_at', 'kind': 'ts', 'nullable': true},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'web_events': [
            {'name': 'event_id', 'kind': 'text'},
            {'name': 'session_id', 'kind': 'text'},
            {'name': 'customer_id', 'kind': 'id', 'nullable': true, 'fk': 'customers'},
            {'name': 'event_type', 'kind': 'text', 'accepted': ['page_view', 'product_view', 'add_to_cart', 'checkout', 'purchase']},
            {'name': 'product_id', 'kind': 'id', 'nullable': true, 'fk': 'products'},
            {'name': 'order_id', 'kind': 'id', 'nullable': true},
            {'name': 'page_path', 'kind': 'text'},
            {'name': 'device_type', 'kind': 'text', 'accepted': ['desktop', 'mobile', 'tablet']},
            {'name': 'channel_code', 'kind': 'text'},
            {'name': 'occurred_at', 'kind': 'ts'},
        ],
        'campaigns': [
            {'name': 'campaign_id', 'kind': 'id'},
            {'name': 'campaign_name', 'kind': 'text'},
            {'name': 'channel_code', 'kind': 'text'},
            {'name': 'objective', 'kind': 'text'},
            {'name': 'starts_on', 'kind': 'date'},
            {'name': 'ends_on', 'kind': 'date'},
            {'name': 'budget', 'kind': 'money'},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
        'campaign_contacts': [
            {'name': 'contact_id', 'kind': 'id'},
            {'name': 'campaign_id', 'kind': 'id'},
            {'name': 'customer_id', 'kind': 'id', 'fk': 'customers'},
            {'name': 'contacted_at', 'kind': 'ts'},
        ],
        'experiment_assignments': [
            {'name': 'assignment_id', 'kind': 'id'},
            {'name': 'experiment_id', 'kind': 'id'},
            {'name': 'customer_id', 'kind': 'id', 'fk': 'customers'},
            {'name': 'variant', 'kind': 'text', 'accepted': ['control', 'treatment']},
            {'name': 'assigned_at', 'kind': 'ts'},
        ],
        'support_tickets': [
            {'name': 'ticket_id', 'kind': 'id'},
            {'name': 'customer_id', 'kind': 'id', 'fk': 'customers'},
            {'name': 'order_id', 'kind': 'id', 'nullable': true},
            {'name': 'topic', 'kind': 'text'},
            {'name': 'opened_at', 'kind': 'ts'},
            {'name': 'resolved_at', 'kind': 'ts', 'nullable': true},
            {'name': 'updated_at', 'kind': 'ts'},
        ],
    } -%}
    {{ return(entities) }}
{%- endmacro %}

{#- The entities an entity's columns refer to (`fk`), in column order, each once. -#}
{% macro shop_fk_parents(entity) -%}
    {{ return(shop_entity(entity) | selectattr('fk', 'defined') | map(attribute='fk') | unique | list) }}
{%- endmacro %}

{#- One entity's columns, primary key first. -#}
{% macro shop_entity(entity) -%}
    {{ return(shop_entities()[entity]) }}
{%- endmacro %}

{% macro shop_kind_type(kind) -%}
    {{ return({
        'id': 'bigint', 'quantity': 'bigint', 'money': 'decimal(18,2)', 'ts': 'timestamp',
        'date': 'date', 'bool': 'boolean', 'text': 'varchar', 'email': 'varchar',
    }[kind]) }}
{%- endmacro %}
