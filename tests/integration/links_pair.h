/* SPDX-License-Identifier: MIT */
/*
 * links_pair - what the integration tests of links between real daemons
 * share (test_links_node.c, test_links_events.c): a hub and nodes started
 * by the harness, the hub on a FIXED second port (an extra listen item)
 * that nodes dial, so it can be stopped and started again where they
 * expect it; the users' tokens in files; raw RESP and HTTP helpers; and
 * waits on log lines, GET /links and CLIENT LIST, each with a deadline.
 */
#ifndef DUET_TEST_LINKS_PAIR_H
#define DUET_TEST_LINKS_PAIR_H

#include "harness.h"

extern struct harness ln_hub, ln_node, ln_node2;
extern char ln_dir[64]; /* tokens (and certificates for TLS) */
extern int ln_port;     /* the hub's fixed port, which nodes dial */
extern char node_tok[65], alice_tok[65], bob_tok[65];

/* What the node exports and imports (see ln_node_start). */
#define LN_EXPORT "[add, sleep, incr, get]"

#define LN_CMD(fd, ...)                                                        \
	ln_cmd(fd, sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *),     \
	    (const char *[]){__VA_ARGS__})

long long ln_now_ms(void);
void ln_token_file(const char *name, const char *tok);
void ln_tokens(void);
void ln_setup(void);
void ln_tls_setup(void);
void ln_stop(struct harness *h);
void ln_teardown(void);
void ln_kill(struct harness *h);
void ln_hub_start_on(const char *listen, const char *users);
void ln_hub_start(void);
void ln_node_start_as(struct harness *h, const char *more);
void ln_node_start(struct harness *h);
long long ln_wait_count(const struct harness *h, const char *text, int n);
char *ln_log_line(const struct harness *h, const char *text);
void ln_assert_framed(const char *line, const char *head, const char *tail);
void ln_cmd(int fd, int n, const char *const *words);
int ln_alice(void);
int ln_http_send(int port, const char *method, const char *path, int tok);
void ln_http(struct harness_http *r, int port, const char *method,
    const char *path, int tok);
void ln_http_expect(int port, const char *path, int tok, const char *body);
char *ln_links(int port, int tok);
void ln_wait_links(const struct harness *h, const char *text);
void ln_wait_client_list(int fd, const char *text);
void ln_pair_setup(void);

#endif /* DUET_TEST_LINKS_PAIR_H */
