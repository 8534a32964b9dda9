/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-network"

#include "config.h"

#include <errno.h>
#include <glib-unix.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "pc-network-watch.h"

/*
 * PcNetworkWatch: is there a usable network, that is a default route
 * whose interface is up and running? Event-driven from rtnetlink (links,
 * addresses, routes), with no polling. GNetworkMonitor answers a broader
 * question and keeps a default route whose link went down, or learns of
 * a deleted interface late; this answers within one event.
 *
 * On each batch of events the state is read afresh with two dumps (links,
 * routes) on a second socket: the kernel answers them from memory, so the
 * reads do not wait.
 */

#define DUMP_BUFFER (64 * 1024)

struct _PcNetworkWatch
{
  GObject   parent_instance;

  int       events_fd;
  guint     events_id;
  guint     evaluate_id;
  gboolean  usable;
  char     *reason;
  guint32   sequence;
};

G_DEFINE_FINAL_TYPE (PcNetworkWatch, pc_network_watch, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_USABLE,
  PROP_REASON,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef gboolean (*MessageFunc) (struct nlmsghdr *header,
                                 gpointer         user_data);

/* One dump request, its answer read to NLMSG_DONE. */
static gboolean
dump (PcNetworkWatch *self,
      int             type,
      MessageFunc     func,
      gpointer        user_data)
{
  struct
  {
    struct nlmsghdr header;
    struct rtgenmsg message;
  } request = { 0 };
  g_autofree guint8 *buffer = g_malloc (DUMP_BUFFER);
  gboolean done = FALSE;
  int fd;

  fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0)
    return FALSE;

  request.header.nlmsg_len = NLMSG_LENGTH (sizeof request.message);
  request.header.nlmsg_type = type;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = ++self->sequence;
  request.message.rtgen_family = AF_UNSPEC;

  if (send (fd, &request, request.header.nlmsg_len, 0) < 0)
    {
      close (fd);
      return FALSE;
    }

  while (!done)
    {
      ssize_t n = recv (fd, buffer, DUMP_BUFFER, 0);
      struct nlmsghdr *header;

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;

      for (header = (struct nlmsghdr *) buffer; NLMSG_OK (header, (size_t) n);
           header = NLMSG_NEXT (header, n))
        {
          if (header->nlmsg_type == NLMSG_DONE || header->nlmsg_type == NLMSG_ERROR)
            {
              done = TRUE;
              break;
            }
          func (header, user_data);
        }
    }

  close (fd);
  return done;
}

static gboolean
collect_running_link (struct nlmsghdr *header,
                      gpointer         user_data)
{
  GHashTable *running = user_data;
  struct ifinfomsg *link = NLMSG_DATA (header);

  if (header->nlmsg_type != RTM_NEWLINK)
    return TRUE;
  if ((link->ifi_flags & IFF_LOOPBACK) == 0 &&
      (link->ifi_flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING))
    g_hash_table_add (running, GINT_TO_POINTER (link->ifi_index));
  return TRUE;
}

typedef struct
{
  GHashTable *running;
  gboolean    default_route;
  gboolean    usable;
} RouteScan;

static gboolean
check_default_route (struct nlmsghdr *header,
                     gpointer         user_data)
{
  RouteScan *scan = user_data;
  struct rtmsg *route = NLMSG_DATA (header);
  int length = RTM_PAYLOAD (header);
  int oif = 0;

  if (header->nlmsg_type != RTM_NEWROUTE || route->rtm_dst_len != 0 ||
      route->rtm_table != RT_TABLE_MAIN || route->rtm_type != RTN_UNICAST)
    return TRUE;

  for (struct rtattr *attribute = RTM_RTA (route); RTA_OK (attribute, length);
       attribute = RTA_NEXT (attribute, length))
    if (attribute->rta_type == RTA_OIF)
      oif = *(int *) RTA_DATA (attribute);

  scan->default_route = TRUE;
  if (oif != 0 && g_hash_table_contains (scan->running, GINT_TO_POINTER (oif)))
    scan->usable = TRUE;
  return TRUE;
}

static void
evaluate (PcNetworkWatch *self)
{
  g_autoptr(GHashTable) running = g_hash_table_new (NULL, NULL);
  RouteScan scan = { running, FALSE, FALSE };
  const char *reason = NULL;

  if (!dump (self, RTM_GETLINK, collect_running_link, running) ||
      !dump (self, RTM_GETROUTE, check_default_route, &scan))
    {
      /* No rtnetlink (a strict sandbox): trust what GNetworkMonitor says. */
      scan.usable = TRUE;
    }
  else if (g_hash_table_size (running) == 0)
    reason = "No network interface is up";
  else if (!scan.default_route)
    reason = "No default route";
  else if (!scan.usable)
    reason = "The interface of the default route is down";

  g_object_freeze_notify (G_OBJECT (self));

  /* The reason can change while the network stays unusable (the route
   * goes first, then the link): it is news of its own. */
  if (g_strcmp0 (self->reason, reason) != 0)
    {
      g_free (self->reason);
      self->reason = g_strdup (reason);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REASON]);
    }

  if (self->usable != scan.usable)
    {
      self->usable = scan.usable;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USABLE]);
    }

  g_object_thaw_notify (G_OBJECT (self));
}

static gboolean
on_evaluate_cb (gpointer user_data)
{
  PcNetworkWatch *self = PC_NETWORK_WATCH (user_data);

  self->evaluate_id = 0;
  evaluate (self);
  return G_SOURCE_REMOVE;
}

static gboolean
on_events_cb (int           fd,
              GIOCondition  condition,
              gpointer      user_data)
{
  PcNetworkWatch *self = PC_NETWORK_WATCH (user_data);
  guint8 buffer[8192];

  /* Drain; what changed is read afresh once the burst is over. */
  while (recv (fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0 || errno == ENOBUFS)
    ;

  if (self->evaluate_id == 0)
    self->evaluate_id = g_idle_add (on_evaluate_cb, self);
  return G_SOURCE_CONTINUE;
}

gboolean
pc_network_watch_get_usable (PcNetworkWatch *self)
{
  g_return_val_if_fail (PC_IS_NETWORK_WATCH (self), TRUE);

  return self->usable;
}

/* Why the network is not usable, or NULL. */
const char *
pc_network_watch_get_reason (PcNetworkWatch *self)
{
  g_return_val_if_fail (PC_IS_NETWORK_WATCH (self), NULL);

  return self->reason;
}

static void
pc_network_watch_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  PcNetworkWatch *self = PC_NETWORK_WATCH (object);

  switch (prop_id)
    {
    case PROP_USABLE:
      g_value_set_boolean (value, self->usable);
      break;
    case PROP_REASON:
      g_value_set_string (value, self->reason);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_network_watch_dispose (GObject *object)
{
  PcNetworkWatch *self = PC_NETWORK_WATCH (object);

  g_clear_handle_id (&self->events_id, g_source_remove);
  g_clear_handle_id (&self->evaluate_id, g_source_remove);
  if (self->events_fd >= 0)
    close (self->events_fd);
  self->events_fd = -1;

  G_OBJECT_CLASS (pc_network_watch_parent_class)->dispose (object);
}

static void
pc_network_watch_finalize (GObject *object)
{
  PcNetworkWatch *self = PC_NETWORK_WATCH (object);

  g_clear_pointer (&self->reason, g_free);

  G_OBJECT_CLASS (pc_network_watch_parent_class)->finalize (object);
}

static void
pc_network_watch_class_init (PcNetworkWatchClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = pc_network_watch_get_property;
  object_class->dispose = pc_network_watch_dispose;
  object_class->finalize = pc_network_watch_finalize;

  properties[PROP_USABLE] =
    g_param_spec_boolean ("usable", NULL, NULL, TRUE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Why the network is not usable, or NULL. */
  properties[PROP_REASON] =
    g_param_spec_string ("reason", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
pc_network_watch_init (PcNetworkWatch *self)
{
  struct sockaddr_nl address = { 0 };

  self->usable = TRUE;
  self->events_fd = socket (AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);
  if (self->events_fd < 0)
    return;

  address.nl_family = AF_NETLINK;
  address.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR |
                      RTMGRP_IPV4_ROUTE | RTMGRP_IPV6_ROUTE;
  if (bind (self->events_fd, (struct sockaddr *) &address, sizeof address) != 0)
    {
      g_warning ("Cannot watch the network with rtnetlink: %s", g_strerror (errno));
      close (self->events_fd);
      self->events_fd = -1;
      return;
    }

  self->events_id = g_unix_fd_add (self->events_fd, G_IO_IN, on_events_cb, self);
  evaluate (self);
}

PcNetworkWatch *
pc_network_watch_new (void)
{
  return g_object_new (PC_TYPE_NETWORK_WATCH, NULL);
}
