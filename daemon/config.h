/* SPDX-License-Identifier: MIT */
/*
 * config - duetd.yaml, read with libyaml's document API into a plain
 * struct config.  Every error names file:line:column and what was expected;
 * errors are counted and reported together (like OpenBSD's parse.y), and a
 * config is only returned when it has none.  Plugin `config:` sub-trees are
 * converted to msgpack maps here.  Knows nothing of the running daemon.
 */
#ifndef DUET_CONFIG_H
#define DUET_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define CONFIG_PROTO_RESP 0x01
#define CONFIG_PROTO_HTTP 0x02

/* A TLS listener's protocol versions (config_tls.versions). */
#define CONFIG_TLS_V1_2 0x01
#define CONFIG_TLS_V1_3 0x02

/* Which client certificates a TLS listener asks for (section 9.4). */
enum config_verify {
	CONFIG_VERIFY_NONE,     /* none asked for */
	CONFIG_VERIFY_OPTIONAL, /* asked for; one that does not verify fails */
	CONFIG_VERIFY_REQUIRE,  /* a verified one or no handshake */
};

/*
 * A listener's tls: key.  Paths are absolute (a relative one is taken
 * from the config file's folder) and were readable at load; the files
 * are read by tls.c when the listener's SSL_CTX is made.
 */
struct config_tls {
	char *cert;      /* owned: PEM chain, leaf first */
	char *key;       /* owned: PEM private key */
	char *client_ca; /* owned: PEM CAs for client certificates, or NULL */
	enum config_verify verify_client; /* default require with client_ca */
	unsigned versions;                /* CONFIG_TLS_V1_*; default both */
	char *ciphers; /* owned: TLS 1.2 cipher list, or NULL: OpenSSL's */
	int line;      /* where the tls key's value is, for messages */
	int column;
};

struct config_listen {
	char *text;         /* owned: as written, e.g. "127.0.0.1:3838" */
	int is_unix;        /* unix:PATH */
	char *host;         /* owned: address without brackets; NULL if unix */
	char *port;         /* owned: port as text; NULL if unix */
	char *path;         /* owned: socket path if unix */
	unsigned protocols; /* CONFIG_PROTO_* mask; both by default */
	struct config_tls *tls; /* owned: TLS settings, or NULL: plain */
	int line;               /* 1-based position in the file, for messages */
	int column;
};

struct config_plugin {
	char *name;   /* owned: may be NULL (taken from the descriptor) */
	char *path;   /* owned: absolute, or relative to plugin_dir */
	char *config; /* owned: msgpack map (an empty map if none) */
	size_t config_len;
	int line;
	int column;
};

struct config_limits {
	uint64_t max_connections;      /* default 10000 */
	uint64_t max_request_bytes;    /* default 1 MiB */
	uint64_t max_args;             /* default 65536 */
	uint64_t max_nesting;          /* default 32 */
	uint64_t max_output_bytes;     /* default 64 MiB */
	uint64_t max_pending_blocking; /* default 1024: queued BLOCKING calls */
	uint64_t header_timeout_ms;    /* default 10 s */
	uint64_t idle_timeout_ms;      /* default 300 s */
	uint64_t shutdown_timeout_ms;  /* default 30 s */
};

struct config {
	char *file;                   /* owned: the path it was read from */
	struct config_listen *listen; /* owned array */
	size_t nlisten;
	int workers;          /* 0 = auto (CPU count) */
	int blocking_threads; /* default 16 */
	char *plugin_dir;     /* owned: NULL = built-in default */
	int plugin_dir_line;  /* 0 when not set in the file */
	int plugin_dir_column;
	struct config_plugin *plugins; /* owned array */
	size_t nplugins;
	struct config_limits limits;
	char **allow_origins; /* owned array of owned strings */
	size_t nallow_origins;
	char **allow_hosts;
	size_t nallow_hosts;
	int log_level;      /* enum log_level, default info */
	int log_timestamps; /* enum log_timestamps, default auto */
};

struct config *config_load(const char *file, int *nerrors);
void config_free(struct config *cf);
void config_tls_free(struct config_tls *tls);

#endif /* DUET_CONFIG_H */
