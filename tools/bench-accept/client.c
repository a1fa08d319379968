/* The load generator of tools/bench-accept/bench-accept: THREADS threads,
 * each making HTTP requests one after another on new connections to
 * 127.0.0.1:PORT for SECONDS seconds. Prints the requests completed.
 *
 *   client PORT THREADS SECONDS
 *
 * A request counts only if the answer starts with "HTTP/1.1 200". Written
 * in C so that the client, which shares the machine's cores with the
 * server, costs as little as possible. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int port, seconds;
static const char request[] =
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int one_request(void) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    /* A bound on every wait: a stuck server ends the run, not the machine. */
    struct timeval timeout = {.tv_sec = 10};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    char answer[4096];
    size_t got = 0;
    ssize_t n = -1;
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        write(fd, request, sizeof request - 1) == (ssize_t)(sizeof request - 1)) {
        while ((n = read(fd, answer + got, sizeof answer - 1 - got)) > 0) {
            got += n;
            if (got == sizeof answer - 1) break;
        }
    }
    close(fd);
    return n == 0 && got >= 12 && memcmp(answer, "HTTP/1.1 200", 12) == 0;
}

static void *run(void *count) {
    double end = now() + seconds;
    while (now() < end) *(long *)count += one_request();
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: client PORT THREADS SECONDS\n");
        return 2;
    }
    port = atoi(argv[1]);
    int threads = atoi(argv[2]);
    seconds = atoi(argv[3]);
    if (threads < 1 || threads > 256 || seconds < 1 || seconds > 60) {
        fprintf(stderr, "client: 1-256 threads, 1-60 seconds\n");
        return 2;
    }
    pthread_t tid[256];
    long counts[256] = {0};
    for (int i = 0; i < threads; i++) pthread_create(&tid[i], NULL, run, &counts[i]);
    long total = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(tid[i], NULL);
        total += counts[i];
    }
    printf("%ld\n", total);
    return 0;
}
