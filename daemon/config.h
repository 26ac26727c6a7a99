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

#include "cidr.h"

#define CONFIG_PROTO_RESP 0x01
#define CONFIG_PROTO_HTTP 0x02

/*
 * An access key (SPEC 9.5), global or a listener's: set when the file
 * has it (a listener's then replaces the global one for that listener).
 */
struct config_access {
	int set;
	struct cidr_acl acl; /* owned */
};

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
	struct config_access access;        /* the listener's own (TCP only) */
	int has_mode, has_owner, has_group; /* unix: set after bind */
	mode_t mode;
	uid_t owner;
	gid_t group;
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
	uint64_t max_pubsub_output;    /* default 8 MiB: a subscriber's */
	uint64_t max_pending_blocking; /* default 1024: queued BLOCKING calls */
	uint64_t header_timeout_ms;    /* default 10 s */
	uint64_t idle_timeout_ms;      /* default 300 s */
	uint64_t shutdown_timeout_ms;  /* default 30 s */

	/* default 0: no limit per client address */
	uint64_t max_connections_per_ip;
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
	int has_channels; /* channels was given (else ["*"]) */
	char **channels;  /* owned array of owned globs (SPEC 10) */
	size_t nchannels;
	char *tls_cn; /* owned, or NULL */
	int link;      /* link: true: may LINK REGISTER (SPEC 11) */
	char *link_as; /* owned: link_as, the one name it may register, or NULL */
	uid_t *uids;   /* owned array of unix_uid, or NULL */
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

/*
 * One outbound link (SPEC 11, `links:`): this daemon dials connect, logs
 * in, registers as `as`, and keeps the link up.  The token is read from
 * token_file or the environment variable token_env when the config is
 * loaded (never written inline, never logged).
 */
struct config_link {
	char *name;    /* owned: this side's name for the other end ("hub") */
	char *connect; /* owned: "host:port" as written */
	char *host;    /* owned: its host part (TLS: SNI, name checked) */
	char *port;    /* owned: its port part */
	int tls;       /* a tls: map was given: dial with TLS */
	char *tls_ca;   /* owned path, or NULL (the system's CAs) */
	char *tls_cert; /* owned path: a client certificate, or NULL */
	char *tls_key;  /* owned path, or NULL (with tls_cert) */
	char *user;     /* owned: the hub user to log in as (default: as) */
	char *token;    /* owned secret from token_file/token_env, or NULL
	                 * (log in with the client certificate) */
	char *as;       /* owned: the name the hub gives this daemon */
	char **exports; /* owned globs: our commands the other end may call */
	size_t nexports;
	char **imports; /* owned globs: its commands made callable here */
	size_t nimports;
	char **channels_out; /* owned globs: our publishes forwarded */
	size_t nchannels_out;
	char **channels_in; /* owned globs: its publishes forwarded here */
	size_t nchannels_in;
	int line; /* the list item, for messages */
	int column;
};

void config_link_free(struct config_link *l);
int config_link_copy(struct config_link *dst, const struct config_link *src);
int config_link_equal(
    const struct config_link *a, const struct config_link *b);

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

	/* the global address lists */
	struct config_access access;

	struct config_link *links; /* owned array: links: (SPEC 11) */
	size_t nlinks;
};

/*
 * The address lists a registry generation serves with, by listener: the
 * global lists and each TCP listener's own (config_acls_new).
 */
struct config_acl_listen {
	char *listen;        /* owned: the listen address as written */
	struct cidr_acl acl; /* owned */
};

struct config_acls {
	int has_global;
	struct cidr_acl global;           /* owned */
	struct config_acl_listen *listen; /* owned array */
	size_t nlisten;
};

struct config *config_load(const char *file, int *nerrors);
void config_free(struct config *cf);
int config_acls_new(const struct config *cf, struct config_acls **out);
const struct cidr_acl *config_acls_for(
    const struct config_acls *a, const char *listen);
void config_acls_free(struct config_acls *a);
void config_tls_free(struct config_tls *tls);

#endif /* DUET_CONFIG_H */
