/*
 * main() for fuzz targets built without libFuzzer: runs each file named on
 * the command line, or each file in each directory named, through
 * LLVMFuzzerTestOneInput once.  The test suite uses it to replay the
 * committed corpora, so a crash there fails the suite with any compiler.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
replay_file(const char *path, size_t *n)
{
	uint8_t *buf = NULL, *nb;
	size_t len = 0, cap = 0, r;
	FILE *f;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	for (;;) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			if ((nb = realloc(buf, cap)) == NULL) {
				fprintf(stderr, "replay: %s: out of memory\n",
				    path);
				free(buf);
				fclose(f);
				return (-1);
			}
			buf = nb;
		}
		if ((r = fread(buf + len, 1, cap - len, f)) == 0)
			break;
		len += r;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return (-1);
	}
	fclose(f);
	/* A copy of exactly len bytes, so overreads show under ASan. */
	if ((nb = malloc(len > 0 ? len : 1)) == NULL) {
		free(buf);
		return (-1);
	}
	if (len > 0)
		memcpy(nb, buf, len);
	free(buf);
	LLVMFuzzerTestOneInput(nb, len);
	free(nb);
	(*n)++;
	return (0);
}

static int
replay_dir(const char *path, size_t *n)
{
	struct dirent *de;
	char sub[4096];
	DIR *d;
	int rc = 0;

	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return (-1);
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path,
		    de->d_name) >= sizeof(sub)) {
			rc = -1;
			continue;
		}
		if (replay_file(sub, n) == -1)
			rc = -1;
	}
	closedir(d);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct stat st;
	size_t n = 0;
	int i, rc = 0;

	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) == -1) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (replay_dir(argv[i], &n) == -1)
				rc = 1;
		} else if (replay_file(argv[i], &n) == -1)
			rc = 1;
	}
	printf("replayed %zu inputs\n", n);
	return (rc);
}
