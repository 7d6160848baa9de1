/* replay.c - runs a harness over saved inputs without libFuzzer, so make
 * check replays the corpus and every past crasher under gcc.
 * Usage: replay-NAME FILE_OR_DIR... */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0, cap = 0, got;

	if (!f) {
		perror(path);
		return 1;
	}
	do {
		if (n == cap) {
			uint8_t *p = realloc(buf, cap ? cap * 2 : 65536);

			if (!p) {
				fclose(f);
				free(buf);
				return 1;
			}
			buf = p;
			cap = cap ? cap * 2 : 65536;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	fclose(f);
	LLVMFuzzerTestOneInput(buf ? buf : (const uint8_t *)"", n);
	free(buf);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
	int i, bad = 0;
	unsigned count = 0;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) != 0)
			continue; /* an empty crasher folder is not an error */
		if (S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			char **names = NULL;
			size_t n = 0, k;

			while (d && (de = readdir(d))) {
				char **p;

				if (de->d_name[0] == '.')
					continue;
				p = realloc(names, (n + 1) * sizeof *names);
				if (!p)
					break;
				names = p;
				k = strlen(argv[i]) + strlen(de->d_name) + 2;
				names[n] = malloc(k);
				if (!names[n])
					break;
				snprintf(names[n], k, "%s/%s", argv[i], de->d_name);
				n++;
			}
			if (d)
				closedir(d);
			if (n)
				qsort(names, n, sizeof *names, cmp);
			for (k = 0; k < n; k++) {
				bad |= run_file(names[k]);
				count++;
				free(names[k]);
			}
			free(names);
		} else {
			bad |= run_file(argv[i]);
			count++;
		}
	}
	printf("%s: %u inputs replayed\n", argv[0], count);
	return bad;
}
