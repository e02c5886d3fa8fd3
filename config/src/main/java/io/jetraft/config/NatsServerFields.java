package io.jetraft.config;

import java.util.Set;

/**
 * The config keys nats-server knows (server/opts.go of 2.9, plus those later versions added), block by block, in
 * lower case (nats-server matches keys case-insensitively). A key jetraft does not read is refused either way; this
 * list decides the words: "not supported by jetraft" for a key nats-server would take, {@code unknown field} (as
 * nats-server says it) for any other.
 */
final class NatsServerFields {

    /** Top level ({@code processConfigFileLine}). */
    static final Set<String> TOP = Set.of(
            "listen", "client_advertise", "port", "server_name", "host", "net", "debug", "trace", "trace_verbose",
            "logtime", "logtime_utc", "mappings", "maps", "disable_sublist_cache", "no_sublist_cache", "accounts",
            "authorization", "http", "https", "http_port", "monitor_port", "https_port", "http_base_path",
            "cluster", "gateway", "leaf", "leafnodes", "store_dir", "storedir", "jetstream", "logfile", "log_file",
            "logfile_size_limit", "log_size_limit", "syslog", "remote_syslog", "pidfile", "pid_file",
            "ports_file_dir", "prof_port", "max_control_line", "max_payload", "max_pending", "max_connections",
            "max_conn", "max_traced_msg_len", "max_subscriptions", "max_subs", "max_sub_tokens",
            "max_subscription_tokens", "ping_interval", "ping_max", "tls", "ocsp", "allow_non_tls",
            "write_deadline", "lame_duck_duration", "lame_duck_grace_period", "operator", "operators", "roots",
            "root", "root_operators", "root_operator", "resolver", "account_resolver", "accounts_resolver",
            "resolver_tls", "resolver_preload", "resolver_pinned_accounts", "no_auth_user", "system_account",
            "system", "no_system_account", "no_system", "no_sys_acc", "no_header_support", "trusted",
            "trusted_keys", "connect_error_reports", "reconnect_error_reports", "websocket", "ws", "mqtt",
            "server_tags", "default_js_domain", "ocsp_cache",
            // added after 2.9
            "trace_headers", "default_sentinel", "logfile_max_num", "log_max_num", "prof_block_rate",
            "proxy_protocol", "write_timeout", "server_metadata", "feature_flags", "no_fast_producer_stall",
            "max_closed_clients", "proxies");

    /** The {@code cluster {}} block ({@code parseCluster}). */
    static final Set<String> CLUSTER = Set.of(
            "name", "listen", "port", "host", "net", "authorization", "routes", "tls", "cluster_advertise",
            "advertise", "no_advertise", "connect_retries", "permissions",
            // added after 2.9
            "connect_backoff", "pool_size", "accounts", "compression", "ping_interval", "ping_max",
            "write_deadline", "write_timeout");

    /** The {@code jetstream {}} block ({@code parseJetStream}). */
    static final Set<String> JETSTREAM = Set.of(
            "enabled", "enable", "store", "store_dir", "storedir", "max_memory_store", "max_mem_store", "max_mem",
            "max_file_store", "max_file", "domain", "key", "ek", "encryption_key", "cipher", "extension_hint",
            "limits", "unique_tag", "max_outstanding_catchup",
            // added after 2.9
            "strict", "sync", "sync_interval", "prev_key", "prev_ek", "prev_encryption_key", "tpm",
            "max_buffered_size", "max_buffered_msgs", "request_queue_limit", "info_queue_limit", "meta_compact",
            "meta_compact_size", "meta_compact_sync", "max_concurrent_io");

    private NatsServerFields() {
    }
}
