/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-tunnel"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "pc-tunnel.h"

/*
 * PcTunnel: the tun device of `tunnel: "tun"`. Opening <sysroot>/dev/net/tun
 * and creating the interface is all the "driver" there is; when either
 * fails the tunnel cannot carry traffic and Internet Security reports a
 * driver error (or fails close). The interface lives as long as the fd.
 */

struct _PcTunnel
{
  GObject  parent_instance;

  char    *sysroot;
  char    *name;
  int      fd;
};

G_DEFINE_FINAL_TYPE (PcTunnel, pc_tunnel, G_TYPE_OBJECT)

gboolean
pc_tunnel_open (PcTunnel    *self,
                const char  *device,
                GError     **error)
{
  g_autofree char *clone_path = g_build_filename (self->sysroot, "dev", "net", "tun", NULL);
  struct ifreq request = { 0 };
  int saved;
  int fd;

  g_return_val_if_fail (PC_IS_TUNNEL (self), FALSE);

  if (self->fd >= 0)
    return TRUE;

  if (strlen (device) >= IFNAMSIZ)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "The tunnel interface name “%s” is longer than %d characters", device, IFNAMSIZ - 1);
      return FALSE;
    }

  /* A character device: opening it does not wait on anything. */
  fd = open (clone_path, O_RDWR | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot open the tunnel driver %s: %s", clone_path, g_strerror (saved));
      return FALSE;
    }

  request.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy (request.ifr_name, device, strlen (device));
  if (ioctl (fd, TUNSETIFF, &request) < 0)
    {
      saved = errno;
      close (fd);
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   "Cannot create the tunnel interface %s: %s", device, g_strerror (saved));
      return FALSE;
    }

  self->fd = fd;
  g_free (self->name);
  self->name = g_strndup (request.ifr_name, IFNAMSIZ);
  g_message ("Tunnel interface %s created", self->name);
  return TRUE;
}

gboolean
pc_tunnel_is_open (PcTunnel *self)
{
  g_return_val_if_fail (PC_IS_TUNNEL (self), FALSE);

  return self->fd >= 0;
}

const char *
pc_tunnel_get_name (PcTunnel *self)
{
  g_return_val_if_fail (PC_IS_TUNNEL (self), NULL);

  return self->name;
}

static void
pc_tunnel_finalize (GObject *object)
{
  PcTunnel *self = PC_TUNNEL (object);

  if (self->fd >= 0)
    close (self->fd);
  g_clear_pointer (&self->sysroot, g_free);
  g_clear_pointer (&self->name, g_free);

  G_OBJECT_CLASS (pc_tunnel_parent_class)->finalize (object);
}

static void
pc_tunnel_class_init (PcTunnelClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pc_tunnel_finalize;
}

static void
pc_tunnel_init (PcTunnel *self)
{
  self->fd = -1;
}

PcTunnel *
pc_tunnel_new (const char *sysroot)
{
  PcTunnel *self = g_object_new (PC_TYPE_TUNNEL, NULL);

  self->sysroot = g_strdup (sysroot);
  return self;
}
