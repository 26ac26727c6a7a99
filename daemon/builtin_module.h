/* SPDX-License-Identifier: MIT */
/*
 * builtin_module - what duetd tells about its loaded plugins, in Redis's
 * shapes for modules: MODULE LIST, INFO modules, HELLO's module list, and
 * GET /plugins (name, version, path, GNU build-id, commands, load time).
 * Plugins come from the config only: MODULE LOAD and UNLOAD are refused.
 */
#ifndef DUET_BUILTIN_MODULE_H
#define DUET_BUILTIN_MODULE_H

#include <duet/plugin.h>

#include <event2/buffer.h>
#include <msgpack.h>

struct registry;

void builtin_module(duet_call *call);
void builtin_module_pack_list(msgpack_packer *pk, const struct registry *reg);
void builtin_module_info(struct evbuffer *b, const struct registry *reg);
void builtin_module_pack_plugins(
    msgpack_packer *pk, const struct registry *reg);

#endif /* DUET_BUILTIN_MODULE_H */
