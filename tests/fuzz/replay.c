/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target's seed corpus without libFuzzer, so `make check`
 * runs every seed (under the sanitizers in the asan build).  The corpus
 * folder is FUZZ_CORPUS, or the arguments when given.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	unsigned char *buf = NULL;
	size_t len = 0, cap = 0, n;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
replay_dir(const char *dir, int *count)
{
	struct dirent *d;
	char path[4096];
	DIR *dp;
	int rv = 0;

	if ((dp = opendir(dir)) == NULL) {
		perror(dir);
		return -1;
	}
	while ((d = readdir(dp)) != NULL) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (replay_file(path) == -1)
			rv = -1;
		(*count)++;
	}
	closedir(dp);
	return rv;
}

int
main(int argc, char *argv[])
{
	int i, count = 0, rv = 0;

	if (argc == 1)
		rv = replay_dir(FUZZ_CORPUS, &count);
	for (i = 1; i < argc; i++) {
		if (replay_dir(argv[i], &count) == -1)
			rv = -1;
	}
	printf("%d passed, %d failed\n", rv == 0 ? count : 0, rv == 0 ? 0 : 1);
	return rv == 0 && count > 0 ? 0 : 1;
}
