/*
 * upstream.c
 *		A trivial upstream MCP server for the /mcp gateway benchmark: every
 *		request gets the same JSON-RPC result once its body has been read.
 *		One thread, epoll, keep-alive; HTTP/1.1 with Content-Length bodies
 *		only (what the gateway sends).  Written in C so that the upstream's
 *		own cost does not hide the gateway's on a 2-core machine.
 *
 *	  upstream PORT
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#define BUF_SIZE 65536
#define MAX_CONNS 4096

static const char response[] =
"HTTP/1.1 200 OK\r\n"
"Content-Type: application/json\r\n"
"Content-Length: 36\r\n"
"\r\n"
"{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}";

/* A connection's unparsed input. */
typedef struct conn
{
	int			fd;
	size_t		len;
	char		buf[BUF_SIZE];
} conn;

static conn *conns[MAX_CONNS];

/* The Content-Length of the header block head (NUL-terminated), or 0. */
static size_t
content_length(const char *head)
{
	const char *p = head;

	while ((p = strstr(p, "\r\n")) != NULL)
	{
		p += 2;
		if (strncasecmp(p, "content-length:", 15) == 0)
			return strtoul(p + 15, NULL, 10);
	}
	return 0;
}

/* Answer every complete request in c's buffer; false on a write error. */
static bool
serve(conn *c)
{
	for (;;)
	{
		char	   *end;
		size_t		head,
					total;

		if (c->len == 0)
			return true;
		c->buf[c->len] = '\0';	/* len < BUF_SIZE: see readable() */
		if ((end = strstr(c->buf, "\r\n\r\n")) == NULL)
			return c->len < BUF_SIZE - 1;
		head = (size_t) (end - c->buf) + 4;
		*end = '\0';
		total = head + content_length(c->buf);
		*end = '\r';
		if (total >= BUF_SIZE)
			return false;
		if (c->len < total)
			return true;
		if (write(c->fd, response, sizeof(response) - 1) != sizeof(response) - 1)
			return false;
		memmove(c->buf, c->buf + total, c->len - total);
		c->len -= total;
	}
}

/* Read what fd has; false when the connection is to be closed. */
static bool
readable(conn *c)
{
	for (;;)
	{
		ssize_t		n = read(c->fd, c->buf + c->len, BUF_SIZE - 1 - c->len);

		if (n > 0)
		{
			c->len += (size_t) n;
			if (!serve(c))
				return false;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return true;
		return false;
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in addr = {.sin_family = AF_INET};
	struct epoll_event ev,
				evs[256];
	int			one = 1;
	int			lfd,
				ep;

	if (argc != 2)
	{
		fprintf(stderr, "usage: upstream PORT\n");
		return 2;
	}
	addr.sin_port = htons((unsigned short) atoi(argv[1]));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *) &addr, sizeof(addr)) != 0 ||
		listen(lfd, 1024) != 0)
	{
		perror("upstream: listen");
		return 1;
	}
	ep = epoll_create1(0);
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	fprintf(stderr, "upstream: http://127.0.0.1:%s/mcp\n", argv[1]);
	for (;;)
	{
		int			n = epoll_wait(ep, evs, 256, -1);

		for (int i = 0; i < n; i++)
		{
			int			fd = evs[i].data.fd;

			if (fd == lfd)
			{
				int			cfd;

				while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0)
				{
					if (cfd >= MAX_CONNS)
					{
						close(cfd);
						continue;
					}
					setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
					conns[cfd] = calloc(1, sizeof(conn));
					conns[cfd]->fd = cfd;
					ev.events = EPOLLIN | EPOLLET;
					ev.data.fd = cfd;
					epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
				}
				continue;
			}
			if (!readable(conns[fd]))
			{
				close(fd);
				free(conns[fd]);
				conns[fd] = NULL;
			}
		}
	}
}
