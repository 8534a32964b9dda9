/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-module"

#include "config.h"

#include "pc-module.h"

/*
 * PcModule: one exported module and its state machine. Its inputs are
 * whether a user is logged in, whether the user turned the module off,
 * whether a probe round is running, and the problem the probes (or the
 * testing interface) found. Status, Error, ErrorDetail, FailMode and
 * Since are always derived from them here, never set piecemeal elsewhere.
 *
 *   disabled  ← turned off by the user
 *   error     ← a problem code (connecting for "authenticating")
 *   off       ← nobody logged in
 *   connecting← a probe round is running
 *   on        ← otherwise
 */

struct _PcModule
{
  PcDbusModuleSkeleton  parent_instance;

  PcModuleKind          kind;
  gboolean              logged_in;
  gboolean              user_enabled;
  gboolean              connecting;
  char                 *problem;
  char                 *problem_detail;
  char                 *problem_fail_mode;
};

G_DEFINE_FINAL_TYPE (PcModule, pc_module, PC_DBUS_TYPE_MODULE_SKELETON)

static void
pc_module_update (PcModule *self)
{
  PcDbusModule *iface = PC_DBUS_MODULE (self);
  const char *status;
  const char *error = "";
  const char *detail = "";
  const char *fail_mode = "";
  const char *auth_status;

  if (!self->user_enabled)
    status = "disabled";
  else if (self->problem != NULL)
    {
      status = g_str_equal (self->problem, "authenticating") ? "connecting" : "error";
      error = self->problem;
      detail = self->problem_detail ? self->problem_detail : "";
      fail_mode = self->problem_fail_mode ? self->problem_fail_mode : "";
    }
  else if (!self->logged_in)
    status = "off";
  else if (self->connecting)
    status = "connecting";
  else
    status = "on";

  if (!self->logged_in)
    auth_status = "required";
  else if (g_strcmp0 (self->problem, "authenticating") == 0)
    auth_status = "authenticating";
  else if (g_strcmp0 (self->problem, "authentication-error") == 0 ||
           g_strcmp0 (self->problem, "chaining-authentication-error") == 0 ||
           g_strcmp0 (self->problem, "intermediate-authentication-error") == 0)
    auth_status = "error";
  else
    auth_status = "authenticated";

  g_object_freeze_notify (G_OBJECT (self));

  if (g_strcmp0 (pc_dbus_module_get_status (iface), status) != 0)
    {
      pc_dbus_module_set_status (iface, status);
      pc_dbus_module_set_since (iface, g_get_real_time ());
      g_info ("%s is %s%s%s", pc_module_kind_to_string (self->kind), status,
              *error ? ": " : "", error);
    }
  if (g_strcmp0 (pc_dbus_module_get_error (iface), error) != 0)
    pc_dbus_module_set_error (iface, error);
  if (g_strcmp0 (pc_dbus_module_get_error_detail (iface), detail) != 0)
    pc_dbus_module_set_error_detail (iface, detail);
  if (g_strcmp0 (pc_dbus_module_get_fail_mode (iface), fail_mode) != 0)
    pc_dbus_module_set_fail_mode (iface, fail_mode);
  if (g_strcmp0 (pc_dbus_module_get_auth_status (iface), auth_status) != 0)
    pc_dbus_module_set_auth_status (iface, auth_status);

  g_object_thaw_notify (G_OBJECT (self));
}

static void
pc_module_finalize (GObject *object)
{
  PcModule *self = PC_MODULE (object);

  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->problem_detail, g_free);
  g_clear_pointer (&self->problem_fail_mode, g_free);

  G_OBJECT_CLASS (pc_module_parent_class)->finalize (object);
}

static void
pc_module_class_init (PcModuleClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = pc_module_finalize;
}

static void
pc_module_init (PcModule *self)
{
  self->user_enabled = TRUE;
}

PcModule *
pc_module_new (PcModuleKind kind)
{
  PcModule *self;

  g_return_val_if_fail (kind < PC_N_MODULES, NULL);

  self = g_object_new (PC_TYPE_MODULE, NULL);
  self->kind = kind;
  pc_dbus_module_set_kind (PC_DBUS_MODULE (self), pc_module_kind_to_string (kind));
  /* Strings are never NULL on the bus; clients need not check. */
  pc_dbus_module_set_portal_url (PC_DBUS_MODULE (self), "");
  pc_dbus_module_set_server (PC_DBUS_MODULE (self), "");
  pc_dbus_module_set_client_address (PC_DBUS_MODULE (self), "");
  pc_module_update (self);

  return self;
}

PcModuleKind
pc_module_get_kind_enum (PcModule *self)
{
  g_return_val_if_fail (PC_IS_MODULE (self), 0);

  return self->kind;
}

void
pc_module_set_logged_in (PcModule *self,
                         gboolean  logged_in)
{
  g_return_if_fail (PC_IS_MODULE (self));

  self->logged_in = !!logged_in;
  pc_module_update (self);
}

void
pc_module_set_user_enabled (PcModule *self,
                            gboolean  enabled)
{
  g_return_if_fail (PC_IS_MODULE (self));

  self->user_enabled = !!enabled;
  pc_module_update (self);
}

gboolean
pc_module_get_user_enabled (PcModule *self)
{
  g_return_val_if_fail (PC_IS_MODULE (self), FALSE);

  return self->user_enabled;
}

/*
 * What traffic does while a code stands: a captive portal, rescue mode and
 * a driver or FW/AV failure let it through unprotected; "fail-close" (the
 * prober's name for a driver or FW/AV failure under a fail-close profile)
 * blocks it. Everything else leaves the tunnel as it is.
 */
const char *
pc_fail_mode_for_code (const char *code)
{
  static const char * const failing_open[] = {
    "captive-portal-detected", "fail-open", "driver-error", "endpoint-fw-av-error", NULL
  };

  if (g_strcmp0 (code, "fail-close") == 0)
    return "fail-close";
  if (code != NULL && g_strv_contains (failing_open, code))
    return "fail-open";
  return "";
}

/* fail_mode is "", "fail-open" or "fail-close". */
void
pc_module_set_problem (PcModule   *self,
                       const char *code,
                       const char *detail,
                       const char *fail_mode)
{
  g_return_if_fail (PC_IS_MODULE (self));
  g_return_if_fail (code != NULL && *code != '\0');

  g_free (self->problem);
  self->problem = g_strdup (code);
  g_free (self->problem_detail);
  self->problem_detail = g_strdup (detail);
  g_free (self->problem_fail_mode);
  self->problem_fail_mode = g_strdup (fail_mode);
  pc_module_update (self);
}

void
pc_module_clear_problem (PcModule *self)
{
  g_return_if_fail (PC_IS_MODULE (self));

  if (self->problem == NULL)
    return;

  g_clear_pointer (&self->problem, g_free);
  g_clear_pointer (&self->problem_detail, g_free);
  g_clear_pointer (&self->problem_fail_mode, g_free);
  pc_module_update (self);
}

/* The current problem code, or NULL when there is none. */
const char *
pc_module_get_problem (PcModule *self)
{
  g_return_val_if_fail (PC_IS_MODULE (self), NULL);

  return self->problem;
}

void
pc_module_set_connecting (PcModule *self,
                          gboolean  connecting)
{
  g_return_if_fail (PC_IS_MODULE (self));

  self->connecting = !!connecting;
  pc_module_update (self);
}
