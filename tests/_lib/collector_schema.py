"""The OpenTelemetry Collector's documented configuration keys, for the components
collector-config.yaml and collector-gateway.yaml use.

Facts read from the collector repositories (each component's README and the
``mapstructure`` tags of its config.go), kept as data so a test can check the shipped
configs without a collector binary (none installs on these machines):

* receiver/otlpreceiver, config/configgrpc, config/confighttp, config/configtls
  (open-telemetry/opentelemetry-collector)
* processor/memorylimiterprocessor, processor/batchprocessor, exporter/otlpexporter,
  exporter/otlphttpexporter, exporter/exporterhelper (queue, retry)
  (open-telemetry/opentelemetry-collector)
* processor/attributesprocessor, processor/tailsamplingprocessor,
  exporter/loadbalancingexporter, extension/storage/filestorage,
  extension/healthcheckextension (open-telemetry/opentelemetry-collector-contrib)

A nested block maps to another schema by name (the value of a key in ``NESTED``).
"""

from __future__ import annotations

TLS = frozenset(
    {
        "insecure", "insecure_skip_verify", "ca_file", "ca_pem", "cert_file", "cert_pem",
        "key_file", "key_pem", "server_name_override", "min_version", "max_version",
        "reload_interval", "include_system_ca_certs_pool", "cipher_suites",
    }
)  # fmt: skip
QUEUE = frozenset(
    {
        "enabled", "num_consumers", "queue_size", "storage", "sizer", "blocking",
        "block_on_overflow", "wait_for_result", "batch",
    }
)  # fmt: skip
RETRY = frozenset(
    {
        "enabled", "initial_interval", "randomization_factor", "multiplier", "max_interval",
        "max_elapsed_time",
    }
)  # fmt: skip
GRPC_SERVER = frozenset(
    {
        "endpoint", "transport", "tls", "max_recv_msg_size_mib", "max_concurrent_streams",
        "read_buffer_size", "write_buffer_size", "keepalive", "auth", "include_metadata",
    }
)  # fmt: skip
HTTP_SERVER = frozenset(
    {
        "endpoint", "tls", "cors", "auth", "max_request_body_size", "include_metadata",
        "response_headers", "compression_algorithms", "traces_url_path", "metrics_url_path",
        "logs_url_path", "read_timeout", "read_header_timeout", "write_timeout", "idle_timeout",
    }
)  # fmt: skip
OTLP_GRPC_CLIENT = frozenset(
    {
        "endpoint", "tls", "headers", "compression", "timeout", "sending_queue",
        "retry_on_failure", "balancer_name", "keepalive", "auth", "write_buffer_size",
        "read_buffer_size", "wait_for_ready", "authority",
    }
)  # fmt: skip

# component type -> allowed top-level keys
COMPONENTS: dict[str, frozenset[str]] = {
    "receivers.otlp": frozenset({"protocols"}),
    "processors.memory_limiter": frozenset(
        {
            "check_interval",
            "limit_mib",
            "spike_limit_mib",
            "limit_percentage",
            "spike_limit_percentage",
        }
    ),
    "processors.batch": frozenset(
        {
            "timeout",
            "send_batch_size",
            "send_batch_max_size",
            "metadata_keys",
            "metadata_cardinality_limit",
        }
    ),
    "processors.attributes": frozenset({"actions", "include", "exclude"}),
    "processors.tail_sampling": frozenset(
        {
            "decision_wait",
            "num_traces",
            "expected_new_traces_per_sec",
            "policies",
            "decision_cache",
            "sample_on_first_match",
            "drop_pending_traces_on_shutdown",
        }
    ),
    "exporters.otlp": OTLP_GRPC_CLIENT,
    "exporters.otlphttp": frozenset(
        {
            "endpoint",
            "traces_endpoint",
            "metrics_endpoint",
            "logs_endpoint",
            "tls",
            "headers",
            "compression",
            "timeout",
            "sending_queue",
            "retry_on_failure",
            "encoding",
            "read_buffer_size",
            "write_buffer_size",
            "max_idle_conns",
            "max_idle_conns_per_host",
            "max_conns_per_host",
            "idle_conn_timeout",
            "auth",
            "proxy_url",
            "disable_keep_alives",
            "http2_read_idle_timeout",
            "http2_ping_timeout",
        }
    ),
    "exporters.loadbalancing": frozenset(
        {
            "routing_key",
            "protocol",
            "resolver",
            "timeout",
            "sending_queue",
            "retry_on_failure",
            "routing_attributes",
        }
    ),
    "extensions.file_storage": frozenset(
        {
            "directory",
            "timeout",
            "compaction",
            "fsync",
            "create_directory",
            "directory_permissions",
            "recreate",
        }
    ),
    "extensions.health_check": frozenset(
        {
            "endpoint",
            "path",
            "tls",
            "cors",
            "auth",
            "response_body",
            "check_collector_pipeline",
            "include_metadata",
        }
    ),
}
COMPONENTS["exporters.load_balancing"] = COMPONENTS["exporters.loadbalancing"]  # the new name

# (component type, key) -> schema of the nested block (a name in BLOCKS)
NESTED: dict[tuple[str, str], str] = {
    ("receivers.otlp", "protocols"): "otlp_protocols",
    ("exporters.otlp", "tls"): "tls",
    ("exporters.otlp", "sending_queue"): "queue",
    ("exporters.otlp", "retry_on_failure"): "retry",
    ("exporters.otlphttp", "tls"): "tls",
    ("exporters.otlphttp", "sending_queue"): "queue",
    ("exporters.otlphttp", "retry_on_failure"): "retry",
    ("exporters.loadbalancing", "protocol"): "lb_protocol",
    ("exporters.loadbalancing", "resolver"): "lb_resolver",
    ("exporters.loadbalancing", "sending_queue"): "queue",
    ("exporters.loadbalancing", "retry_on_failure"): "retry",
    ("extensions.file_storage", "compaction"): "compaction",
}
BLOCKS: dict[str, frozenset[str]] = {
    "tls": TLS,
    "queue": QUEUE,
    "retry": RETRY,
    "otlp_protocols": frozenset({"grpc", "http"}),
    "grpc_server": GRPC_SERVER,
    "http_server": HTTP_SERVER,
    "lb_protocol": frozenset({"otlp"}),
    "otlp_client": OTLP_GRPC_CLIENT - {"endpoint"},  # the resolver gives the endpoints
    "lb_resolver": frozenset({"static", "dns", "k8s", "aws_cloud_map"}),
    "compaction": frozenset(
        {
            "directory",
            "on_start",
            "on_rebound",
            "rebound_needed_threshold_mib",
            "rebound_trigger_threshold_mib",
            "max_transaction_size",
            "check_interval",
            "cleanup_on_start",
        }
    ),
}
# Blocks nested in blocks: (block, key) -> block.
BLOCK_NESTED: dict[tuple[str, str], str] = {
    ("otlp_protocols", "grpc"): "grpc_server",
    ("otlp_protocols", "http"): "http_server",
    ("grpc_server", "tls"): "tls",
    ("http_server", "tls"): "tls",
    ("lb_protocol", "otlp"): "otlp_client",
    ("otlp_client", "tls"): "tls",
    ("otlp_client", "sending_queue"): "queue",
    ("otlp_client", "retry_on_failure"): "retry",
}

# attributes processor: keys of one action; the actions it knows.
ATTRIBUTE_ACTION_KEYS = frozenset(
    {"key", "value", "pattern", "from_attribute", "from_context", "action", "converted_type"}
)
ATTRIBUTE_ACTIONS = frozenset(
    {"insert", "update", "upsert", "delete", "hash", "extract", "convert"}
)

# tail_sampling: policy types and the keys of each one's block.
TAIL_POLICIES: dict[str, frozenset[str]] = {
    "always_sample": frozenset(),
    "latency": frozenset({"threshold_ms", "upper_threshold_ms"}),
    "status_code": frozenset({"status_codes"}),
    "probabilistic": frozenset({"hash_salt", "sampling_percentage"}),
    "numeric_attribute": frozenset({"key", "min_value", "max_value", "invert_match"}),
    "string_attribute": frozenset(
        {"key", "values", "enabled_regex_matching", "cache_max_size", "invert_match"}
    ),
    "rate_limiting": frozenset({"spans_per_second"}),
    "span_count": frozenset({"min_spans", "max_spans"}),
    "boolean_attribute": frozenset({"key", "value", "invert_match"}),
}
STATUS_CODES = frozenset({"OK", "ERROR", "UNSET"})
LB_RESOLVERS: dict[str, frozenset[str]] = {
    "static": frozenset({"hostnames"}),
    "dns": frozenset({"hostname", "port", "interval", "timeout", "quarantine"}),
    "k8s": frozenset({"service", "ports", "timeout", "return_hostnames"}),
}
ROUTING_KEYS = frozenset({"traceID", "service", "resource", "metric", "streamID", "attributes"})
