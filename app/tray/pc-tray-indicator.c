/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "pc-tray"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-tray-indicator.h"

/*
 * The panel icon: a StatusNotifierItem through libayatana-appindicator.
 * Its icon follows the worst severity across modules and its title (the
 * tooltip hosts show) names the worst module and its state. Without a
 * StatusNotifierItem host libayatana falls back to an XEmbed GtkStatusIcon;
 * that is the one moment we learn there is no host, so it is said there,
 * once, in the log.
 */

#define ON_ICON "io.github.Portcullis-on-symbolic"

struct _PcTrayIndicator
{
  AppIndicator   parent_instance;

  /* borrowed: owned by AppIndicator between fallback and unfallback */
  GtkStatusIcon *status_icon;

  char          *summary;
  gboolean       told_no_host;
};

G_DEFINE_FINAL_TYPE (PcTrayIndicator, pc_tray_indicator, APP_INDICATOR_TYPE)

static GtkStatusIcon *
pc_tray_indicator_fallback (AppIndicator *indicator)
{
  PcTrayIndicator *self = PC_TRAY_INDICATOR (indicator);
  GtkStatusIcon *status_icon;

  if (!self->told_no_host)
    {
      g_message ("No StatusNotifierItem host (tray) found; using the XEmbed "
                 "fallback icon and notifications");
      self->told_no_host = TRUE;
    }

  status_icon = APP_INDICATOR_CLASS (pc_tray_indicator_parent_class)->fallback (indicator);
  /* GtkStatusIcon is deprecated, and is exactly what panels without
   * StatusNotifierItem still understand. */
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (status_icon != NULL)
    gtk_status_icon_set_tooltip_text (status_icon, self->summary);
  G_GNUC_END_IGNORE_DEPRECATIONS
  self->status_icon = status_icon;

  return status_icon;
}

static void
pc_tray_indicator_unfallback (AppIndicator  *indicator,
                              GtkStatusIcon *status_icon)
{
  PcTrayIndicator *self = PC_TRAY_INDICATOR (indicator);

  g_debug ("A StatusNotifierItem host appeared; leaving the XEmbed fallback");
  self->status_icon = NULL;

  APP_INDICATOR_CLASS (pc_tray_indicator_parent_class)->unfallback (indicator, status_icon);
}

static void
pc_tray_indicator_finalize (GObject *object)
{
  PcTrayIndicator *self = PC_TRAY_INDICATOR (object);

  g_clear_pointer (&self->summary, g_free);

  G_OBJECT_CLASS (pc_tray_indicator_parent_class)->finalize (object);
}

static void
pc_tray_indicator_class_init (PcTrayIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  AppIndicatorClass *indicator_class = APP_INDICATOR_CLASS (klass);

  object_class->finalize = pc_tray_indicator_finalize;

  indicator_class->fallback = pc_tray_indicator_fallback;
  indicator_class->unfallback = pc_tray_indicator_unfallback;
}

static void
pc_tray_indicator_init (PcTrayIndicator *self)
{
}

/*
 * Hosts run in another process and may not see our XDG_DATA_DIRS (an
 * uninstalled build, a custom prefix): tell them where our icons are.
 */
static char *
find_icon_theme_path (void)
{
  g_autoptr(GtkIconInfo) info = NULL;
  g_autofree char *apps_dir = NULL;
  g_autofree char *context_dir = NULL;
  g_autofree char *theme_dir = NULL;
  const char *filename;

  info = gtk_icon_theme_lookup_icon (gtk_icon_theme_get_default (), ON_ICON, 16, 0);
  if (info == NULL || (filename = gtk_icon_info_get_filename (info)) == NULL)
    {
      g_warning ("The icon %s is not installed; the tray shows a generic icon", ON_ICON);
      return NULL;
    }

  /* <dir>/hicolor/symbolic/apps/<icon>.svg -> <dir> */
  apps_dir = g_path_get_dirname (filename);
  context_dir = g_path_get_dirname (apps_dir);
  theme_dir = g_path_get_dirname (context_dir);
  return g_path_get_dirname (theme_dir);
}

PcTrayIndicator *
pc_tray_indicator_new (GtkMenu *menu)
{
  PcTrayIndicator *self;
  g_autofree char *theme_path = find_icon_theme_path ();

  g_return_val_if_fail (GTK_IS_MENU (menu), NULL);

  self = g_object_new (PC_TYPE_TRAY_INDICATOR,
                       "id", "io.github.Portcullis",
                       "category", "ApplicationStatus",
                       "icon-name", pc_severity_get_icon_name (PC_SEVERITY_UNAVAILABLE),
                       "icon-theme-path", theme_path,
                       "title", _("Portcullis"),
                       NULL);

  app_indicator_set_menu (APP_INDICATOR (self), menu);
  app_indicator_set_status (APP_INDICATOR (self), APP_INDICATOR_STATUS_ACTIVE);

  return self;
}

/* "Internet Security: Captive Portal Detected": the worst module, or why there is none. */
char *
pc_tray_indicator_dup_summary (PcClient *client)
{
  PcDbusModule *worst;
  g_autofree char *state = NULL;

  g_return_val_if_fail (PC_IS_CLIENT (client), NULL);

  if (!pc_client_get_available (client))
    return g_strdup (_("Portcullis: Service Unavailable"));

  worst = pc_client_get_worst_module (client);
  if (worst == NULL)
    return g_strdup (_("Portcullis: No Module Enabled"));

  state = pc_status_dup_title (pc_dbus_module_get_status (worst),
                               pc_dbus_module_get_error (worst),
                               pc_dbus_module_get_error_detail (worst));
  /* Translators: "Internet Security: Captive Portal Detected" */
  return g_strdup_printf (_("%s: %s"),
                          pc_module_kind_get_title (pc_dbus_module_get_kind_enum (worst)),
                          state);
}

void
pc_tray_indicator_update (PcTrayIndicator *self,
                          PcClient        *client)
{
  AppIndicator *indicator = APP_INDICATOR (self);
  PcSeverity severity;
  const char *icon_name;
  g_autofree char *summary = NULL;

  g_return_if_fail (PC_IS_TRAY_INDICATOR (self));
  g_return_if_fail (PC_IS_CLIENT (client));

  severity = pc_client_get_severity (client);
  icon_name = pc_severity_get_icon_name (severity);
  summary = pc_tray_indicator_dup_summary (client);

  /* Each setter emits its D-Bus signal only when the value changes. */
  if (g_strcmp0 (summary, self->summary) != 0)
    {
      g_free (self->summary);
      self->summary = g_steal_pointer (&summary);
      app_indicator_set_title (indicator, self->summary);
      G_GNUC_BEGIN_IGNORE_DEPRECATIONS
      if (self->status_icon != NULL)
        gtk_status_icon_set_tooltip_text (self->status_icon, self->summary);
      G_GNUC_END_IGNORE_DEPRECATIONS
    }

  if (g_strcmp0 (app_indicator_get_icon (indicator), icon_name) != 0 ||
      g_strcmp0 (app_indicator_get_icon_desc (indicator), self->summary) != 0)
    {
      app_indicator_set_icon_full (indicator, icon_name, self->summary);
      app_indicator_set_attention_icon_full (indicator, icon_name, self->summary);
    }

  /* Problems the user should see even in a crowded panel. */
  app_indicator_set_status (indicator,
                            severity == PC_SEVERITY_WARNING || severity == PC_SEVERITY_ERROR
                            ? APP_INDICATOR_STATUS_ATTENTION
                            : APP_INDICATOR_STATUS_ACTIVE);
}

gboolean
pc_tray_indicator_is_fallback (PcTrayIndicator *self)
{
  g_return_val_if_fail (PC_IS_TRAY_INDICATOR (self), FALSE);

  return self->status_icon != NULL;
}
