/* The other model, for comparison: one new process per connection, the way
 * Beej's guide and the classic inetd-style servers do it. The same system
 * calls per connection as a stage04_accept worker (accept, one read, one
 * log line, one write, close), plus a fork and an exit.
 *
 *   fork_per_connection
 *
 * Listens on 127.0.0.1 on a port the kernel picks, prints `listening on
 * http://127.0.0.1:PORT`, and stops when its standard input ends. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static const char response[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 29\r\n"
    "Connection: close\r\n\r\nHello from a worker process!\n";

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    /* SIGCHLD ignored: the kernel reaps each child as it exits. */
    signal(SIGCHLD, SIG_IGN);
    int one = 1, listener = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(listener, 128) != 0 ||
        getsockname(listener, (struct sockaddr *)&addr, &len) != 0) {
        perror("fork_per_connection");
        return 1;
    }
    printf("listening on http://127.0.0.1:%d\n", ntohs(addr.sin_port));
    fflush(stdout);
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN}, {.fd = listener, .events = POLLIN}};
    for (;;) {
        if (poll(fds, 2, -1) < 0) continue;
        if (fds[0].revents) return 0; /* standard input ended (or a line came) */
        if (!fds[1].revents) continue;
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        int conn = accept(listener, (struct sockaddr *)&peer, &peer_len);
        if (conn < 0) continue;
        pid_t pid = fork();
        if (pid == 0) {
            char request[1024], line[64];
            close(listener);
            int n = snprintf(line, sizeof line, "worker %d accepted %s:%d\n", getpid(),
                             inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
            write(1, line, n);
            read(conn, request, sizeof request);
            write(conn, response, sizeof response - 1);
            close(conn);
            _exit(0);
        }
        close(conn);
    }
}
