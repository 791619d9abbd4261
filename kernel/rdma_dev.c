// SPDX-License-Identifier: GPL-2.0
/*
 * heca_rdma: the RDMA devices.  A device object (struct heca_rdma_dev,
 * with the device's protection domain) exists while channels use the
 * device: the first finds or adds it (heca_rdma_dev_get()), the last one
 * to drop it frees it.  An ib_client, registered after rdma_cm's and so
 * removed before it, says which devices may be used: from its add to its
 * remove, which kills the device's channels and waits until they dropped
 * the device object.
 */

#include "rdma.h"

static LIST_HEAD(heca_rdma_devs);
static DEFINE_MUTEX(heca_rdma_lock);	/* the devices and their fields */

static struct ib_client heca_rdma_client;

/*
 * The ib_client's data of a device heca may use, from the client's add
 * to (the start of) its remove; NULL else.  Set and tested under
 * heca_rdma_lock.
 */
#define HECA_RDMA_DEV_USABLE	((void *)&heca_rdma_client)

static int heca_rdma_add_one(struct ib_device *ibdev)
{
	mutex_lock(&heca_rdma_lock);
	ib_set_client_data(ibdev, &heca_rdma_client, HECA_RDMA_DEV_USABLE);
	mutex_unlock(&heca_rdma_lock);
	return 0;
}

/* The device object of @ibdev, or NULL.  Under heca_rdma_lock. */
static struct heca_rdma_dev *heca_rdma_dev_find(struct ib_device *ibdev)
{
	struct heca_rdma_dev *d;

	lockdep_assert_held(&heca_rdma_lock);
	list_for_each_entry(d, &heca_rdma_devs, node)
		if (d->ibdev == ibdev)
			return d;
	return NULL;
}

/*
 * The device goes away: no channel may take it any more; kill its
 * channels, wait until their owners closed them (sessions fail, handshakes
 * and accepts give up) and so freed the device object and its PD.  The
 * channels' cm_ids are gone by then, before rdma_cm's own removal runs.
 */
static void heca_rdma_remove_one(struct ib_device *ibdev, void *data)
{
	DECLARE_COMPLETION_ONSTACK(released);
	struct heca_rdma_chan *ch;
	struct heca_rdma_dev *d;
	unsigned int n;

	mutex_lock(&heca_rdma_lock);
	ib_set_client_data(ibdev, &heca_rdma_client, NULL);
	d = heca_rdma_dev_find(ibdev);
	if (d) {
		d->released = &released;
		list_for_each_entry(ch, &d->chans, dev_node)
			heca_rdma_kill(ch, -ENODEV);
	}
	mutex_unlock(&heca_rdma_lock);
	if (!d)
		return;

	while (!wait_for_completion_timeout(&released, 10 * HZ)) {
		/* The release runs under the lock: @d lives until then. */
		mutex_lock(&heca_rdma_lock);
		n = completion_done(&released) ? 0 : kref_read(&d->ref);
		mutex_unlock(&heca_rdma_lock);
		if (n)
			pr_warn("%s: removal waits for %u connection(s) to close\n",
				dev_name(&ibdev->dev), n);
	}
}

static struct ib_client heca_rdma_client = {
	.name = "heca",
	.add = heca_rdma_add_one,
	.remove = heca_rdma_remove_one,
};

/**
 * heca_rdma_dev_find_or_add() - the device object of @ibdev, referenced
 * @ibdev: a device heca may use (the ib_client's data says so)
 *
 * Under heca_rdma_lock.  The first channel on a device adds its object and
 * allocates its PD.
 *
 * Return: the object, with a reference for the caller, or an ERR_PTR.
 */
static struct heca_rdma_dev *heca_rdma_dev_find_or_add(struct ib_device *ibdev)
{
	struct heca_rdma_dev *d;
	struct ib_pd *pd;

	lockdep_assert_held(&heca_rdma_lock);
	d = heca_rdma_dev_find(ibdev);
	if (d) {
		kref_get(&d->ref);
		return d;
	}
	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return ERR_PTR(-ENOMEM);
	pd = ib_alloc_pd(ibdev, 0);
	if (IS_ERR(pd)) {
		kfree(d);
		return ERR_CAST(pd);
	}
	kref_init(&d->ref);
	d->ibdev = ibdev;
	d->pd = pd;
	INIT_LIST_HEAD(&d->chans);
	list_add_tail(&d->node, &heca_rdma_devs);
	return d;
}

/*
 * The last channel dropped @d: unlist it and free its PD, under
 * heca_rdma_lock (so that a removal waiting for it sees it alive or
 * released); the lock is released here.
 */
static void heca_rdma_dev_release(struct kref *ref)
{
	struct heca_rdma_dev *d = container_of(ref, struct heca_rdma_dev, ref);

	list_del(&d->node);
	ib_dealloc_pd(d->pd);
	if (d->released)
		complete(d->released);
	mutex_unlock(&heca_rdma_lock);
	kfree(d);
}

/**
 * heca_rdma_dev_get() - attach a channel to its cm_id's device
 * @ch: the channel; its cm_id has its device
 *
 * The channel holds a reference to the device object (and so its PD) until
 * heca_rdma_dev_put(), and is on its list, for the removal to kill, until
 * heca_rdma_dev_unlist().
 *
 * Return: 0, -ENODEV (the device is not, or no longer, heca's to use),
 * -ECONNRESET (@ch is closing) or the PD's allocation's error.
 */
int heca_rdma_dev_get(struct heca_rdma_chan *ch)
{
	struct ib_device *ibdev = ch->id->device;
	struct heca_rdma_dev *d;
	int err = 0;

	mutex_lock(&heca_rdma_lock);
	if (ib_get_client_data(ibdev, &heca_rdma_client) != HECA_RDMA_DEV_USABLE)
		err = -ENODEV;
	/* The teardown unlists under heca_rdma_lock after CLOSING. */
	else if (heca_rdma_chan_closing(ch))
		err = -ECONNRESET;
	if (err)
		goto out_unlock;
	d = heca_rdma_dev_find_or_add(ibdev);
	if (IS_ERR(d)) {
		err = PTR_ERR(d);
		goto out_unlock;
	}
	list_add_tail(&ch->dev_node, &d->chans);
	ch->dev = d;
out_unlock:
	mutex_unlock(&heca_rdma_lock);
	return err;
}

/* The device's removal no longer kills @ch: its teardown owns it. */
void heca_rdma_dev_unlist(struct heca_rdma_chan *ch)
{
	mutex_lock(&heca_rdma_lock);
	if (ch->dev)
		list_del_init(&ch->dev_node);
	mutex_unlock(&heca_rdma_lock);
}

/* Drop @ch's reference to its device: the last one frees it. */
void heca_rdma_dev_put(struct heca_rdma_chan *ch)
{
	if (!ch->dev)
		return;
	kref_put_mutex(&ch->dev->ref, heca_rdma_dev_release, &heca_rdma_lock);
	ch->dev = NULL;
}

int heca_rdma_dev_init(void)
{
	return ib_register_client(&heca_rdma_client);
}

void heca_rdma_dev_exit(void)
{
	ib_unregister_client(&heca_rdma_client);
}
