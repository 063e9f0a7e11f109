/*
 * test-net.c - listening and connecting on loopback, addresses as text.
 */
#include "config.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"

static char name[NET_NAMELEN], err[NET_ERRLEN];
static const struct net_listen_opts tcp = {
	.socktype = SOCK_STREAM, .backlog = 16,
};

TestSuite(net);

static int
port_of(const char *n)
{
	const char *colon = strrchr(n, ':');

	cr_assert_not_null(colon, "%s has a port", n);
	return atoi(colon + 1);
}

Test(net, listen_on_port_zero_names_the_real_port)
{
	int fd = net_listen("127.0.0.1", "0", &tcp, name, sizeof name, err,
	    sizeof err);

	cr_assert_geq(fd, 0, "%s", err);
	cr_assert(strncmp(name, "127.0.0.1:", 10) == 0, "%s", name);
	cr_assert_gt(port_of(name), 0);
	close(fd);
}

Test(net, port_in_use_says_address_already_in_use)
{
	char want[NET_NAMELEN + 64];
	int fd, fd2;

	fd = net_listen("127.0.0.1", "0", &tcp, name, sizeof name, err,
	    sizeof err);
	cr_assert_geq(fd, 0, "%s", err);
	fd2 = net_listen("127.0.0.1", strrchr(name, ':') + 1, &tcp, name,
	    sizeof name, err, sizeof err);
	cr_assert_eq(fd2, -1);
	snprintf(want, sizeof want, "bind %s: Address already in use", name);
	cr_assert_str_eq(err, want);
	close(fd);
}

Test(net, unknown_service_is_reported)
{
	cr_assert_eq(net_listen("127.0.0.1", "no-such-service", &tcp, name,
	    sizeof name, err, sizeof err), -1);
	cr_assert(strstr(err, "127.0.0.1:no-such-service") != NULL, "%s", err);
}

Test(net, service_name_resolves_through_etc_services)
{
	int fd;

	if (access("/etc/services", R_OK) != 0)
		cr_skip_test("no /etc/services");
	/* "discard" is port 9: bind it on a loopback alias nobody uses. */
	fd = net_listen("127.0.0.77", "discard", &tcp, name, sizeof name,
	    err, sizeof err);
	cr_assert_geq(fd, 0, "%s", err);
	cr_assert_str_eq(name, "127.0.0.77:9");
	close(fd);
}

Test(net, wildcard_is_dual_stack_ipv6)
{
	int fd, c;

	fd = net_listen(NULL, "0", &tcp, name, sizeof name, err, sizeof err);
	cr_assert_geq(fd, 0, "%s", err);
	if (strncmp(name, "[::]:", 5) != 0)
		cr_skip_test("no IPv6 here: bound %s", name);
	c = net_connect("127.0.0.1", strrchr(name, ':') + 1, SOCK_STREAM,
	    err, sizeof err);
	cr_assert_geq(c, 0, "IPv4 reaches [::]: %s", err);
	close(c);
	close(fd);
}

Test(net, ipv6_only_wildcard_refuses_ipv4)
{
	struct net_listen_opts o = tcp;
	int fd, c;

	o.v6only = 1;
	fd = net_listen(NULL, "0", &o, name, sizeof name, err, sizeof err);
	cr_assert_geq(fd, 0, "%s", err);
	if (strncmp(name, "[::]:", 5) != 0)
		cr_skip_test("no IPv6 here");
	c = net_connect("127.0.0.1", strrchr(name, ':') + 1, SOCK_STREAM,
	    err, sizeof err);
	cr_assert_eq(c, -1);
	cr_assert(strstr(err, "Connection refused") != NULL, "%s", err);
	close(fd);
}

Test(net, connect_tries_every_address)
{
	char port[16];
	int fd, c;

	/* localhost is ::1 and 127.0.0.1; only the IPv4 one listens. */
	fd = net_listen("127.0.0.1", "0", &tcp, name, sizeof name, err,
	    sizeof err);
	cr_assert_geq(fd, 0, "%s", err);
	snprintf(port, sizeof port, "%d", port_of(name));
	c = net_connect("localhost", port, SOCK_STREAM, err, sizeof err);
	cr_assert_geq(c, 0, "%s", err);
	close(c);
	close(fd);
}

Test(net, connect_failure_names_the_address)
{
	int fd, c;
	char port[16];

	fd = net_listen("127.0.0.1", "0", &tcp, name, sizeof name, err,
	    sizeof err);
	snprintf(port, sizeof port, "%d", port_of(name));
	close(fd);		/* nobody listens there now */
	c = net_connect("127.0.0.1", port, SOCK_STREAM, err, sizeof err);
	cr_assert_eq(c, -1);
	cr_assert(strstr(err, "connect 127.0.0.1:") != NULL, "%s", err);
}

Test(net, addresses_print_numerically)
{
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(7007), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	struct sockaddr_in s4 = { .sin_family = AF_INET,
	    .sin_port = htons(1067) };

	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	net_addr_name((struct sockaddr *)&s6, sizeof s6, name, sizeof name);
	cr_assert_str_eq(name, "[::1]:7007");
	net_addr_name((struct sockaddr *)&s4, sizeof s4, name, sizeof name);
	cr_assert_str_eq(name, "127.0.0.1:1067");
}
