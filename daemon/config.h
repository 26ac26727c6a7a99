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

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define CONFIG_PROTO_RESP 0x01
#define CONFIG_PROTO_HTTP 0x02

struct config_listen {
	char *text;         /* owned: as written, e.g. "127.0.0.1:3838" */
	int is_unix;        /* unix:PATH */
	char *host;         /* owned: address without brackets; NULL if unix */
	char *port;         /* owned: port as text; NULL if unix */
	char *path;         /* owned: socket path if unix */
	unsigned protocols; /* CONFIG_PROTO_* mask; both by default */
	int line;           /* 1-based position in the file, for messages */
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

/* A category of a command rule (SPEC 9.2); CONFIG_AUTH_GLOB: a glob. */
enum config_auth_category {
	CONFIG_AUTH_GLOB,
	CONFIG_AUTH_ALL,      /* @all */
	CONFIG_AUTH_READONLY, /* @readonly: commands flagged DUET_READONLY */
	CONFIG_AUTH_PUBLIC,   /* @public: commands flagged DUET_PUBLIC */
	CONFIG_AUTH_BUILTIN,  /* @builtin: the daemon's own commands */
};

#define CONFIG_AUTH_RULE_MAX 256 /* longest rule, in bytes */

/* One item of a user's commands list: "glob", "-glob", "@cat", "-@cat". */
struct config_auth_rule {
	int remove;                         /* it started with '-' */
	enum config_auth_category category; /* CONFIG_AUTH_GLOB: glob */
	char *glob;                         /* owned: as written, or NULL */
	int line;
	int column;
};

/* One user of the auth section (SPEC 9.1). */
struct config_auth_user {
	char *name;                     /* owned */
	int has_token;                  /* token_sha256 was given */
	unsigned char token_sha256[32]; /* the SHA-256 of the user's token */
	int has_rules;                  /* commands was given (else ["*"]) */
	struct config_auth_rule *rules; /* owned array */
	size_t nrules;
	char *tls_cn; /* owned, or NULL */
	uid_t *uids;  /* owned array of unix_uid, or NULL */
	size_t nuids;
	int line; /* the user's list item, for messages */
	int column;
};

/* The auth section: present (struct config.auth != NULL) means auth is on. */
struct config_auth {
	struct config_auth_user *users; /* owned array */
	size_t nusers;
	int line; /* the auth key, for messages */
	int column;
};

int config_auth_rule_parse(const char *text, struct config_auth_rule *rule);
void config_auth_free(struct config_auth *auth);

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
	int log_level;            /* enum log_level, default info */
	int log_timestamps;       /* enum log_timestamps, default auto */
	struct config_auth *auth; /* owned: NULL when there is no auth key */
};

struct config *config_load(const char *file, int *nerrors);
void config_free(struct config *cf);

#endif /* DUET_CONFIG_H */
