/*
 * udp-echo: the Linux guest's side of `cargo xtask bench`'s network echo
 * benchmark. Binds UDP port 7 (or the port given as the first argument) on
 * every address and sends each datagram back to where it came from. A
 * datagram whose payload starts with "PRIDE-MARK" first executes the
 * benchmark marker instruction (see bench/plugin/insn-count.c), exactly as
 * Pride's echo server does, so the instruction-counting plugin snapshots
 * the count there.
 *
 * Built static by xtask (gcc -O2 -static) into the guest's initramfs.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static const char TAG[] = "PRIDE-MARK";

/* nopl 0x44495250(%rax,%rax,1): a no-op with a distinctive encoding. */
static inline void bench_marker(void)
{
    __asm__ volatile(".byte 0x0f, 0x1f, 0x84, 0x00, 0x50, 0x52, 0x49, 0x44");
}

int main(int argc, char **argv)
{
    int port = argc > 1 ? atoi(argv[1]) : 7;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        perror("udp-echo: socket");
        return 1;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)port);
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("udp-echo: bind");
        return 1;
    }
    printf("udp-echo: listening on UDP port %d\n", port);
    fflush(stdout);
    static char buf[65536];
    for (;;) {
        struct sockaddr_in peer;
        socklen_t peer_len = sizeof peer;
        ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&peer, &peer_len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            perror("udp-echo: recvfrom");
            return 1;
        }
        if ((size_t)n >= sizeof TAG - 1 && memcmp(buf, TAG, sizeof TAG - 1) == 0) {
            bench_marker();
        }
        /* A datagram the socket cannot take now is dropped, as Pride's does. */
        (void)sendto(fd, buf, (size_t)n, 0, (struct sockaddr *)&peer, peer_len);
    }
}
