/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "pc-format.h"

/* "4:05" under an hour, "2:03:04" under a day, then "3 days, 2:03:04". */
char *
pc_format_duration (GTimeSpan span)
{
  gint64 seconds = MAX (span, 0) / G_USEC_PER_SEC;
  gint64 days = seconds / 86400;
  int hours = (seconds / 3600) % 24;
  int minutes = (seconds / 60) % 60;
  int secs = seconds % 60;
  g_autofree char *clock = NULL;

  if (days == 0 && hours == 0)
    return g_strdup_printf ("%d:%02d", minutes, secs);

  clock = g_strdup_printf ("%d:%02d:%02d", hours, minutes, secs);
  if (days == 0)
    return g_steal_pointer (&clock);

  /* Translators: %s is a clock time such as 2:03:04 */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "%lld day, %s",
                                       "%lld days, %s",
                                       days),
                          (long long) days, clock);
}

char *
pc_format_bytes (guint64 bytes)
{
  return g_format_size (bytes);
}

const char *
pc_format_auth_status (const char *auth_status)
{
  if (g_strcmp0 (auth_status, "authenticated") == 0)
    return _("Authenticated");
  if (g_strcmp0 (auth_status, "required") == 0)
    return _("Authentication Required");
  if (g_strcmp0 (auth_status, "authenticating") == 0)
    return _("Authenticating…");
  if (g_strcmp0 (auth_status, "error") == 0)
    return _("Authentication Failed");
  return _("Unknown");
}

const char *
pc_format_network_type (const char *network_type)
{
  if (g_strcmp0 (network_type, "trusted") == 0)
    return _("Trusted Network");
  if (g_strcmp0 (network_type, "off-trusted") == 0)
    return _("Off-Trusted Network");
  return _("Unknown");
}

const char *
pc_format_network (const char *network)
{
  if (g_strcmp0 (network, "online") == 0)
    return _("Connected");
  if (g_strcmp0 (network, "none") == 0)
    return _("No Network");
  if (g_strcmp0 (network, "captive-portal") == 0)
    return _("Captive Portal");
  if (g_strcmp0 (network, "limited") == 0)
    return _("Limited Connectivity");
  return _("Unknown");
}

const char *
pc_format_fail_mode (const char *fail_mode)
{
  if (g_strcmp0 (fail_mode, "fail-open") == 0)
    return _("Traffic passes without protection (fail-open)");
  if (g_strcmp0 (fail_mode, "fail-close") == 0)
    return _("Traffic is blocked (fail-close)");
  return NULL;
}

static char *
format_value (GVariant *value)
{
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING))
    return g_variant_dup_string (value, NULL);
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_BOOLEAN))
    return g_strdup (g_variant_get_boolean (value) ? _("Yes") : _("No"));
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_STRING_ARRAY))
    {
      g_autofree const char **strv = g_variant_get_strv (value, NULL);
      return g_strjoinv ("\n", (char **) strv);
    }
  if (g_variant_is_of_type (value, G_VARIANT_TYPE_VARIANT))
    {
      g_autoptr(GVariant) inner = g_variant_get_variant (value);
      return format_value (inner);
    }
  return g_variant_print (value, FALSE);
}

/* RepairApp's report as "Key: value" lines, in the service's order. */
char *
pc_format_report (GVariant *report)
{
  g_autoptr(GString) text = g_string_new (NULL);
  GVariantIter iter;
  const char *key;
  GVariant *value;

  if (report == NULL || g_variant_n_children (report) == 0)
    return g_strdup (_("The service found nothing to repair."));

  g_variant_iter_init (&iter, report);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      g_autofree char *formatted = format_value (value);

      if (text->len > 0)
        g_string_append_c (text, '\n');
      g_string_append_printf (text, "%s: %s", key, formatted);
      g_variant_unref (value);
    }

  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const char *
fallback_icon (PcSeverity severity)
{
  switch (severity)
    {
    case PC_SEVERITY_OK:          return "security-high-symbolic";
    case PC_SEVERITY_OFF:         return "security-low-symbolic";
    case PC_SEVERITY_CONNECTING:  return "content-loading-symbolic";
    case PC_SEVERITY_WARNING:     return "dialog-warning-symbolic";
    case PC_SEVERITY_ERROR:       return "dialog-error-symbolic";
    case PC_SEVERITY_UNAVAILABLE:
    default:
      return "network-offline-symbolic";
    }
}

/* The project's status icon when the icon theme has it (installed, or the
 * build directory's search path), else a standard one of the same meaning. */
const char *
pc_format_severity_icon (PcSeverity severity)
{
  const char *name = pc_severity_get_icon_name (severity);
  GdkDisplay *display = gdk_display_get_default ();

  if (display != NULL &&
      gtk_icon_theme_has_icon (gtk_icon_theme_get_for_display (display), name))
    return name;

  return fallback_icon (severity);
}

/* The CSS class that colours a status icon. */
const char *
pc_format_severity_style (PcSeverity severity)
{
  switch (severity)
    {
    case PC_SEVERITY_OK:          return "success";
    case PC_SEVERITY_WARNING:     return "warning";
    case PC_SEVERITY_ERROR:       return "error";
    case PC_SEVERITY_OFF:
    case PC_SEVERITY_CONNECTING:
    case PC_SEVERITY_UNAVAILABLE:
    default:
      return "dim-label";
    }
}

gboolean
pc_format_is_email (const char *contact)
{
  const char *at;

  if (contact == NULL || strchr (contact, ' ') != NULL)
    return FALSE;

  at = strchr (contact, '@');
  return at != NULL && at != contact && strchr (at + 1, '.') != NULL;
}
