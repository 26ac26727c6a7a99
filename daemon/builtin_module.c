/* SPDX-License-Identifier: MIT */
/*
 * builtin_module - the loaded plugins, as Redis shows its modules.
 *
 * Everything here reads one registry generation (the caller's worker
 * holds a reference, so its plugins stay loaded): MODULE LIST and HELLO
 * answer Redis's maps (name, ver, path, args), INFO has Redis's
 * "# Modules" lines with the path added, and GET /plugins gives, as JSON,
 * what an operator asks when a plugin misbehaves: which file, which
 * build (the GNU build-id note, read from the loaded image, so it is the
 * code that runs even if the file was replaced since), which commands,
 * loaded when.  Redis's "ver" is an integer: see module_ver.
 */
#include "autoconf.h"

#include <ctype.h>
#include <dlfcn.h>
#include <elf.h>
#include <inttypes.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <msgpack.h>

#include "builtin_admin.h"
#include "builtin_module.h"
#include "conn.h"
#include "convert.h"
#include "dispatch.h"
#include "env.h"
#include "plugin.h"
#include "registry.h"

/* The longest build-id shown, in bytes (GNU ld writes 20: SHA-1). */
#define MODULE_BUILD_ID_MAX 64

/* Looking for one loaded object's build-id among the program headers. */
struct module_find {
	ElfW(Addr) base;                       /* the object's l_addr */
	char hex[2 * MODULE_BUILD_ID_MAX + 1]; /* out: "" when none */
};

/*
 * Redis's integer form of a version string: "MAJOR.MINOR.PATCH" is
 * MAJOR * 10000 + MINOR * 100 + PATCH, so "1.2.3" is 10203 (Redis
 * modules encode theirs that way).  A missing part counts 0, what
 * follows a part's digits ("3-rc1") is ignored, MINOR and PATCH stop at
 * 99 and MAJOR at 99999, and a version that does not start with a
 * digit is 0.
 */
static int64_t
module_ver(const char *v)
{
	static const int64_t weight[3] = {10000, 100, 1};
	static const int64_t max[3] = {99999, 99, 99};
	int64_t ver = 0, part;
	int i;

	for (i = 0; i < 3 && isdigit((unsigned char)*v); i++) {
		for (part = 0; isdigit((unsigned char)*v); v++) {
			if (part <= max[i])
				part = part * 10 + (*v - '0');
		}
		ver += (part < max[i] ? part : max[i]) * weight[i];
		if (*v++ != '.')
			break;
	}
	return ver;
}

static size_t
module_align(size_t n, size_t align)
{
	return (n + align - 1) & ~(align - 1);
}

/*
 * Finds the NT_GNU_BUILD_ID note among the size bytes of notes at p,
 * padded to align, and writes it to f->hex.  Returns 0 if found.
 */
static int
module_notes(const char *p, size_t size, size_t align, struct module_find *f)
{
	const ElfW(Nhdr) * n;
	size_t off = 0, desc, next, i;

	while (off < size && size - off >= sizeof(*n)) {
		n = (const ElfW(Nhdr) *)(const void *)(p + off);
		desc = module_align(off + sizeof(*n) + n->n_namesz, align);
		next = module_align(desc + n->n_descsz, align);
		if (desc > size || n->n_descsz > size - desc)
			return -1;
		if (n->n_type == NT_GNU_BUILD_ID && n->n_namesz == 4 &&
		    memcmp(p + off + sizeof(*n), "GNU", 4) == 0 &&
		    n->n_descsz > 0 && n->n_descsz <= MODULE_BUILD_ID_MAX) {
			for (i = 0; i < n->n_descsz; i++)
				snprintf(f->hex + 2 * i, 3, "%02x",
				    (unsigned char)p[desc + i]);
			return 0;
		}
		off = next;
	}
	return -1;
}

/*
 * dl_iterate_phdr's callback: in the object loaded at f->base, reads the
 * notes segments (mapped, since PT_NOTE lies in a PT_LOAD).  Returns 1
 * (stop) once that object is seen.
 */
static int
module_on_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct module_find *f = arg;
	const ElfW(Phdr) * ph;
	ElfW(Half) i;

	(void)size;
	if (info->dlpi_addr != f->base)
		return 0;
	for (i = 0; i < info->dlpi_phnum; i++) {
		ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_NOTE &&
		    module_notes((const char *)(info->dlpi_addr + ph->p_vaddr),
		        ph->p_memsz, ph->p_align == 8 ? 8 : 4, f) == 0)
			break;
	}
	return 1;
}

/*
 * The GNU build-id of p's loaded object, as lower-case hex in hex (at
 * least 2 * MODULE_BUILD_ID_MAX + 1 bytes).  Returns 0, or -1 when it
 * has none.
 */
static int
module_build_id(const struct plugin *p, char *hex)
{
	struct module_find f;
	struct link_map *lm;

	memset(&f, 0, sizeof(f));
	if (p->handle == NULL || dlinfo(p->handle, RTLD_DI_LINKMAP, &lm) != 0)
		return -1;
	f.base = lm->l_addr;
	dl_iterate_phdr(module_on_phdr, &f);
	if (f.hex[0] == '\0')
		return -1;
	memcpy(hex, f.hex, sizeof(f.hex));
	return 0;
}

/*
 * One plugin as Redis's MODULE LIST describes a module: name, ver (see
 * module_ver), path, args.  A plugin's config is not shown: it may hold
 * secrets.
 */
static void
module_pack_one(msgpack_packer *pk, const struct plugin *p)
{
	msgpack_pack_map(pk, 4);
	convert_pack_cstr(pk, "name");
	convert_pack_cstr(pk, p->name);
	convert_pack_cstr(pk, "ver");
	msgpack_pack_int64(pk, module_ver(p->version));
	convert_pack_cstr(pk, "path");
	convert_pack_cstr(pk, p->path);
	convert_pack_cstr(pk, "args");
	msgpack_pack_array(pk, 0);
}

/*
 * Packs MODULE LIST's reply (also HELLO's "modules"): an array with a
 * map per plugin of reg, in load order.
 */
void
builtin_module_pack_list(msgpack_packer *pk, const struct registry *reg)
{
	size_t i;

	msgpack_pack_array(pk, reg->nplugins);
	for (i = 0; i < reg->nplugins; i++)
		module_pack_one(pk, reg->plugins[i]);
}

/*
 * Appends INFO's "# Modules" section to b: Redis 7's line per module
 * with the plugin's path added last.
 */
void
builtin_module_info(struct evbuffer *b, const struct registry *reg)
{
	const struct plugin *p;
	size_t i;

	evbuffer_add_printf(b, "# Modules\r\n");
	for (i = 0; i < reg->nplugins; i++) {
		p = reg->plugins[i];
		evbuffer_add_printf(b,
		    "module:name=%s,ver=%" PRId64 ",api=%u,filters=0,"
		    "usedby=[],using=[],options=[],path=%s\r\n",
		    p->name, module_ver(p->version), (unsigned)DUET_ABI_MAJOR,
		    p->path);
	}
	evbuffer_add_printf(b, "\r\n");
}

/*
 * The names of reg's commands that plugin p declared, as an array.
 */
static void
module_pack_commands(
    msgpack_packer *pk, const struct registry *reg, const struct plugin *p)
{
	size_t i, n = 0;

	for (i = 0; i < reg->ncommands; i++)
		n += reg->commands[i].plugin == p;
	msgpack_pack_array(pk, n);
	for (i = 0; i < reg->ncommands; i++) {
		if (reg->commands[i].plugin == p)
			convert_pack_cstr(pk, reg->commands[i].name);
	}
}

/*
 * Packs GET /plugins: an array with, per plugin of reg in load order, a
 * map of name, version (the plugin's own string), path, build_id (hex,
 * or nil when the object has no GNU build-id note), commands (names)
 * and loaded_at (RFC 3339, UTC).
 */
void
builtin_module_pack_plugins(msgpack_packer *pk, const struct registry *reg)
{
	char hex[2 * MODULE_BUILD_ID_MAX + 1], when[32];
	const struct plugin *p;
	struct tm tm;
	size_t i;

	msgpack_pack_array(pk, reg->nplugins);
	for (i = 0; i < reg->nplugins; i++) {
		p = reg->plugins[i];
		msgpack_pack_map(pk, 6);
		convert_pack_cstr(pk, "name");
		convert_pack_cstr(pk, p->name);
		convert_pack_cstr(pk, "version");
		convert_pack_cstr(pk, p->version);
		convert_pack_cstr(pk, "path");
		convert_pack_cstr(pk, p->path);
		convert_pack_cstr(pk, "build_id");
		if (module_build_id(p, hex) == 0)
			convert_pack_cstr(pk, hex);
		else
			msgpack_pack_nil(pk);
		convert_pack_cstr(pk, "commands");
		module_pack_commands(pk, reg, p);
		convert_pack_cstr(pk, "loaded_at");
		if (gmtime_r(&p->loaded_at, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) ==
		        0)
			msgpack_pack_nil(pk);
		else
			convert_pack_cstr(pk, when);
	}
}

static const char *const module_help[] = {
    "LIST",
    "    Return the loaded plugins: name, ver, path, args.",
    "LOAD, LOADEX, UNLOAD",
    "    Refused: plugins come from the configuration (plugin_dir and",
    "    plugins); edit it and reload duetd (SIGHUP).",
    NULL,
};

/*
 * MODULE LIST | HELP; LOAD, LOADEX and UNLOAD answer an error.  Worker
 * thread, inline.
 */
void
builtin_module(duet_call *call)
{
	const struct registry *reg = call->conn->env->reg;
	uint32_t n = builtin_admin_nrest(call, 1);
	static const char *const refused[] = {"LOAD", "LOADEX", "UNLOAD"};
	size_t i;

	if (builtin_admin_arg_is(call, 0, "LIST")) {
		if (n != 0)
			builtin_admin_arity_error(call, "module|list");
		else
			builtin_module_pack_list(duet_reply(call), reg);
		return;
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		if (builtin_admin_arg_is(call, 0, refused[i])) {
			duet_reply_error(call, "ERR",
			    "MODULE %s is not supported: plugins come from the "
			    "configuration (plugin_dir and plugins); edit it "
			    "and reload duetd (SIGHUP)",
			    refused[i]);
			return;
		}
	}
	if (builtin_admin_arg_is(call, 0, "HELP") && n == 0)
		builtin_admin_help(call, "MODULE", module_help);
	else
		builtin_admin_unknown_sub(call, "MODULE");
}
