// SPDX-License-Identifier: GPL-2.0
/*
 * heca: the registry of transports.
 *
 * Transports register by id; a session takes one with heca_transport_get(),
 * which loads the module "heca-transport-<id>" if none is registered yet
 * (as nvme-fabrics loads "nvme-<transport>"), and holds a reference on the
 * transport's module until it ends: a transport module cannot go while a
 * session uses it.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kmod.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "transport.h"

/* Guards heca_transports and each transport's node. */
static DEFINE_MUTEX(heca_transports_lock);
static LIST_HEAD(heca_transports);

static struct heca_transport *heca_transport_find(u32 id)
{
	struct heca_transport *t;

	lockdep_assert_held(&heca_transports_lock);
	list_for_each_entry(t, &heca_transports, node)
		if (t->id == id)
			return t;
	return NULL;
}

/**
 * heca_transport_register() - make a transport available to sessions
 * @t: the transport; its ops are complete (only @expose is optional)
 *
 * Return: 0, -EINVAL for an incomplete transport, -EEXIST if its id is
 * taken.
 */
int heca_transport_register(struct heca_transport *t)
{
	int err = 0;

	if (WARN_ON(!t->listen || !t->accept || !t->unlisten || !t->connect ||
		    !t->recv_msg || !t->send_msg || !t->start ||
		    !t->read_pages || !t->close))
		return -EINVAL;
	mutex_lock(&heca_transports_lock);
	if (heca_transport_find(t->id))
		err = -EEXIST;
	else
		list_add_tail(&t->node, &heca_transports);
	mutex_unlock(&heca_transports_lock);
	if (!err)
		pr_info("transport %s registered\n", t->name);
	return err;
}
EXPORT_SYMBOL_GPL(heca_transport_register);

/**
 * heca_transport_unregister() - undo heca_transport_register()
 * @t: the transport
 *
 * No session uses it: each holds a reference on @t->owner, so its module
 * exit, which calls this, cannot run before the last one ended.
 */
void heca_transport_unregister(struct heca_transport *t)
{
	mutex_lock(&heca_transports_lock);
	list_del_init(&t->node);
	mutex_unlock(&heca_transports_lock);
}
EXPORT_SYMBOL_GPL(heca_transport_unregister);

static const struct heca_transport *heca_transport_try_get(u32 id)
{
	struct heca_transport *t;

	mutex_lock(&heca_transports_lock);
	t = heca_transport_find(id);
	if (t && !try_module_get(t->owner))
		t = NULL;
	mutex_unlock(&heca_transports_lock);
	return t;
}

/**
 * heca_transport_get() - the transport of id @id, loading it if need be
 * @id: HECA_TRANSPORT_*
 *
 * May sleep (module loading).  Release with heca_transport_put().
 *
 * Return: the transport, or ERR_PTR(-EOPNOTSUPP) if no module provides it.
 */
const struct heca_transport *heca_transport_get(u32 id)
{
	const struct heca_transport *t;

	t = heca_transport_try_get(id);
	if (!t) {
		request_module("heca-transport-%u", id);
		t = heca_transport_try_get(id);
	}
	return t ?: ERR_PTR(-EOPNOTSUPP);
}

/**
 * heca_transport_put() - drop what heca_transport_get() took
 * @t: the transport
 */
void heca_transport_put(const struct heca_transport *t)
{
	module_put(t->owner);
}

/**
 * heca_addr_to_sockaddr() - a uapi endpoint as a socket address
 * @a:  family, port and address from HECA_IOC_SESSION_START (family checked)
 * @ss: filled in
 *
 * Return: the length of the address in @ss, or -EAFNOSUPPORT.
 */
int heca_addr_to_sockaddr(const struct heca_addr *a, struct sockaddr_storage *ss)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	switch (a->family) {
	case AF_INET:
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr, 4);
		return sizeof(*sin);
	case AF_INET6:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		sin6->sin6_scope_id = a->scope_id;
		memcpy(&sin6->sin6_addr, a->addr, 16);
		return sizeof(*sin6);
	default:
		return -EAFNOSUPPORT;
	}
}
EXPORT_SYMBOL_GPL(heca_addr_to_sockaddr);
