/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullis-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-error.h"
#include "pc-format.h"
#include "pc-module-page.h"
#include "pc-password-dialog.h"
#include "pc-util.h"
#include "pc-window.h"

/*
 * The status window: one page per module the profile enables, a status
 * page while the service is away, Log Out in the header bar. Its win.*
 * actions make the module calls; they are enabled only while the service
 * is available.
 */

struct _PcWindow
{
  AdwApplicationWindow  parent_instance;

  /* template widgets */
  AdwToastOverlay      *toast_overlay;
  AdwViewSwitcherTitle *switcher_title;
  GtkButton            *logout_button;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;

  /* owned */
  PcClient             *client;
  GHashTable           *busy;  /* "retry:internet_security" etc. */
  char                 *chosen_module;  /* the page the user picked last */
  gboolean              rebuilding;
  gboolean              logout_busy;
};

G_DEFINE_FINAL_TYPE (PcWindow, pc_window, ADW_TYPE_APPLICATION_WINDOW)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* One call in flight: what the completion needs to report back. */
typedef struct
{
  PcWindow         *self;
  char             *kind;
  char             *busy_key;
  PcPasswordDialog *dialog;
} Call;

static void
call_free (Call *call)
{
  g_clear_object (&call->dialog);
  g_free (call->kind);
  g_free (call->busy_key);
  g_clear_object (&call->self);
  g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Call, call_free)

static void pc_window_update_actions (PcWindow *self);

static void
toast (PcWindow   *self,
       const char *message)
{
  AdwToast *t = adw_toast_new (message);

  adw_toast_set_timeout (t, 6);
  /* The latest news replaces what is on screen rather than queueing
   * behind it. */
  adw_toast_set_priority (t, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

static void
toast_error (PcWindow     *self,
             const char   *what,
             const GError *error)
{
  g_autofree char *message = pc_error_dup_message (error);
  /* Translators: "Retry failed: The service edge cannot be reached" */
  g_autofree char *text = g_strdup_printf (_("%s: %s"), what, message);

  toast (self, text);
}

static Call *
call_new (PcWindow   *self,
          const char *verb,
          const char *kind)
{
  Call *call = g_new0 (Call, 1);

  call->self = g_object_ref (self);
  call->kind = g_strdup (kind);
  call->busy_key = g_strdup_printf ("%s:%s", verb, kind ? kind : "");
  g_hash_table_add (self->busy, g_strdup (call->busy_key));
  pc_window_update_actions (self);
  return call;
}

static void
call_done (Call *call)
{
  g_hash_table_remove (call->self->busy, call->busy_key);
  pc_window_update_actions (call->self);
}

static GtkWidget *
find_page (PcWindow   *self,
           const char *kind)
{
  return adw_view_stack_get_child_by_name (self->view_stack, kind);
}

static gboolean
pc_window_has_module (PcWindow   *self,
                      const char *kind)
{
  GtkWidget *page = find_page (self, kind);

  return page != NULL && gtk_widget_get_visible (page);
}

static void
set_page_busy (PcWindow   *self,
               const char *kind,
               gboolean    busy)
{
  GtkWidget *page = find_page (self, kind);

  if (page != NULL)
    pc_module_page_set_busy (PC_MODULE_PAGE (page), busy);
}

static PcDbusModule *
lookup_module (PcWindow   *self,
               GVariant   *parameter)
{
  PcModuleKind kind;
  PcDbusModule *module = NULL;

  if (pc_module_kind_from_string (g_variant_get_string (parameter, NULL), &kind))
    module = pc_client_get_module (self->client, kind);

  if (module == NULL)
    toast (self, _("This module is not available right now."));

  return module;
}

/* Busy actions are insensitive while their call runs, so a double click
 * does not send the call twice. */
static gboolean
is_busy (PcWindow   *self,
         const char *verb)
{
  GHashTableIter iter;
  const char *key;

  g_hash_table_iter_init (&iter, self->busy);
  while (g_hash_table_iter_next (&iter, (gpointer *) &key, NULL))
    if (g_str_has_prefix (key, verb) && key[strlen (verb)] == ':')
      return TRUE;

  return FALSE;
}

static void
set_action_enabled (PcWindow   *self,
                    const char *name,
                    gboolean    enabled)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self), name);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), enabled);
}

static void
pc_window_update_actions (PcWindow *self)
{
  gboolean available = pc_client_get_available (self->client);
  PcDbusManager *manager = pc_client_get_manager (self->client);
  const char *user = manager ? pc_dbus_manager_get_user (manager) : NULL;
  gboolean logged_in = user != NULL && *user != '\0';

  set_action_enabled (self, "retry", available && !is_busy (self, "retry"));
  set_action_enabled (self, "open-browser", available);
  set_action_enabled (self, "authenticate", available && !is_busy (self, "authenticate"));
  set_action_enabled (self, "turn-off", available && !is_busy (self, "enable"));
  set_action_enabled (self, "turn-on", available && !is_busy (self, "enable"));
  set_action_enabled (self, "logout", available && logged_in && !self->logout_busy);
  gtk_widget_set_visible (GTK_WIDGET (self->logout_button), available && logged_in);
}

/* Opening a URL from the service */

typedef struct
{
  GtkWindow  *parent;
  char       *uri;
  void      (*report) (GtkWindow *, const char *);
} ShowUri;

static void
on_uri_shown_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  ShowUri *data = user_data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (data->parent, result, &error))
    {
      /* Translators: %s is the reason, from the system */
      g_autofree char *text = g_strdup_printf (_("Could not open the web browser: %s"), error->message);
      data->report (data->parent, text);
    }

  g_object_unref (data->parent);
  g_free (data->uri);
  g_free (data);
}

void
pc_show_web_uri (GtkWindow  *parent,
                 const char *uri,
                 void      (*report) (GtkWindow *, const char *))
{
  ShowUri *data;

  g_return_if_fail (GTK_IS_WINDOW (parent));

  /* Only web pages reach the browser: a file:, javascript: or custom
   * scheme URL from a compromised network would start something else. */
  if (!pc_uri_is_web (uri))
    {
      g_autofree char *text = NULL;

      if (uri == NULL || *uri == '\0')
        text = g_strdup (_("The service did not give a page to open."));
      else
        /* Translators: %s is a URL that was not opened */
        text = g_strdup_printf (_("Refused to open “%s”: only web addresses (http or https) are opened."), uri);
      report (parent, text);
      return;
    }

  data = g_new0 (ShowUri, 1);
  data->parent = g_object_ref (parent);
  data->uri = g_strdup (uri);
  data->report = report;
  gtk_show_uri_full (parent, uri, GDK_CURRENT_TIME, NULL, on_uri_shown_cb, data);
}

static void
report_to_window (GtkWindow  *window,
                  const char *message)
{
  toast (PC_WINDOW (window), message);
}

/* win.retry */

static void
on_retry_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;

  call_done (call);
  set_page_busy (call->self, call->kind, FALSE);
  if (!pc_dbus_module_call_retry_finish (PC_DBUS_MODULE (source), result, &error))
    toast_error (call->self, _("Retry failed"), error);
}

static void
retry_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  PcWindow *self = user_data;
  PcDbusModule *module = lookup_module (self, parameter);
  const char *kind = g_variant_get_string (parameter, NULL);

  if (module == NULL)
    return;

  set_page_busy (self, kind, TRUE);
  pc_dbus_module_call_retry (module, NULL, on_retry_done_cb, call_new (self, "retry", kind));
}

/* win.open-browser */

static void
open_browser_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PcWindow *self = user_data;
  PcDbusModule *module = lookup_module (self, parameter);

  if (module == NULL)
    return;

  pc_show_web_uri (GTK_WINDOW (self), pc_dbus_module_get_portal_url (module), report_to_window);
}

/* win.authenticate */

static void
on_authenticate_done_cb (GObject      *source,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  call_done (call);
  set_page_busy (call->self, call->kind, FALSE);
  if (!pc_dbus_module_call_authenticate_finish (PC_DBUS_MODULE (source), &url, result, &error))
    {
      toast_error (call->self, _("Authentication failed"), error);
      return;
    }

  if (url == NULL || *url == '\0')
    toast (call->self, _("Authentication started"));
  else
    pc_show_web_uri (GTK_WINDOW (call->self), url, report_to_window);
}

static void
authenticate_action (GSimpleAction *action,
                     GVariant      *parameter,
                     gpointer       user_data)
{
  PcWindow *self = user_data;
  PcDbusModule *module = lookup_module (self, parameter);
  const char *kind = g_variant_get_string (parameter, NULL);

  if (module == NULL)
    return;

  set_page_busy (self, kind, TRUE);
  pc_dbus_module_call_authenticate (module, NULL, on_authenticate_done_cb,
                                    call_new (self, "authenticate", kind));
}

/* win.turn-off, win.turn-on */

static void
on_set_enabled_done_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;

  call_done (call);
  set_page_busy (call->self, call->kind, FALSE);
  if (pc_dbus_module_call_set_enabled_finish (PC_DBUS_MODULE (source), result, &error))
    {
      if (call->dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (call->dialog));
      return;
    }

  if (call->dialog != NULL)
    {
      g_autofree char *message = pc_error_dup_message (error);
      pc_password_dialog_set_error (call->dialog, message);
    }
  else
    toast_error (call->self, _("Could not change protection"), error);
}

static void
set_enabled (PcWindow         *self,
             const char       *kind,
             gboolean          enabled,
             const char       *password,
             const char       *reason,
             PcPasswordDialog *dialog)
{
  PcModuleKind kind_enum;
  PcDbusModule *module = NULL;
  Call *call;

  if (pc_module_kind_from_string (kind, &kind_enum))
    module = pc_client_get_module (self->client, kind_enum);
  if (module == NULL)
    {
      if (dialog != NULL)
        pc_password_dialog_set_error (dialog, _("This module is not available right now."));
      else
        toast (self, _("This module is not available right now."));
      return;
    }

  call = call_new (self, "enable", kind);
  if (dialog != NULL)
    {
      call->dialog = g_object_ref (dialog);
      pc_password_dialog_set_busy (dialog, TRUE);
    }
  set_page_busy (self, kind, TRUE);
  pc_dbus_module_call_set_enabled (module, enabled, password, reason, NULL,
                                   on_set_enabled_done_cb, call);
}

static void
on_turn_off_submit_cb (PcWindow         *self,
                       const char       *password,
                       const char       *reason,
                       PcPasswordDialog *dialog)
{
  g_assert (PC_IS_WINDOW (self));

  set_enabled (self, g_object_get_data (G_OBJECT (dialog), "kind"), FALSE,
               password, reason, dialog);
}

static void
on_turn_off_response_cb (PcWindow       *self,
                         const char     *response,
                         AdwMessageDialog *dialog)
{
  g_assert (PC_IS_WINDOW (self));

  if (g_str_equal (response, "turn-off"))
    set_enabled (self, g_object_get_data (G_OBJECT (dialog), "kind"), FALSE, "", "", NULL);
}

static void
turn_off_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  PcWindow *self = user_data;
  const char *kind = g_variant_get_string (parameter, NULL);
  PcModuleKind kind_enum;
  g_autofree char *heading = NULL;
  const char *body = _("Your traffic is not protected while it is off.");

  if (!pc_module_kind_from_string (kind, &kind_enum))
    return;

  /* Translators: %s is a module, such as "Internet Security" */
  heading = g_strdup_printf (_("Turn Off %s?"), pc_module_kind_get_title (kind_enum));

  if (pc_client_get_policy_boolean (self->client, "disable-password", FALSE))
    {
      PcPasswordDialog *dialog;
      g_autofree char *text =
        g_strdup_printf ("%s %s",
                         _("Your organization requires a password and a reason to turn it off."),
                         body);

      dialog = pc_password_dialog_new (GTK_WINDOW (self), heading, text,
                                       _("Turn Off"), TRUE, TRUE);
      g_object_set_data_full (G_OBJECT (dialog), "kind", g_strdup (kind), g_free);
      g_signal_connect_object (dialog, "submit", G_CALLBACK (on_turn_off_submit_cb),
                               self, G_CONNECT_SWAPPED);
      gtk_window_present (GTK_WINDOW (dialog));
    }
  else
    {
      GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (self), heading, body);

      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("Cancel"),
                                        "turn-off", _("Turn Off"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "turn-off",
                                                  ADW_RESPONSE_DESTRUCTIVE);
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
      g_object_set_data_full (G_OBJECT (dialog), "kind", g_strdup (kind), g_free);
      g_signal_connect_object (dialog, "response", G_CALLBACK (on_turn_off_response_cb),
                               self, G_CONNECT_SWAPPED);
      gtk_window_present (GTK_WINDOW (dialog));
    }
}

static void
turn_on_action (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  PcWindow *self = user_data;

  set_enabled (self, g_variant_get_string (parameter, NULL), TRUE, "", "", NULL);
}

/* win.logout */

static void open_logout_password_dialog (PcWindow *self);

static void
on_logout_done_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(Call) call = user_data;
  g_autoptr(GError) error = NULL;

  call->self->logout_busy = FALSE;
  call_done (call);
  if (pc_dbus_manager_call_logout_finish (PC_DBUS_MANAGER (source), result, &error))
    {
      if (call->dialog != NULL)
        gtk_window_destroy (GTK_WINDOW (call->dialog));
      toast (call->self, _("Logged out"));
      return;
    }

  if (call->dialog != NULL)
    {
      g_autofree char *message = pc_error_dup_message (error);
      pc_password_dialog_set_error (call->dialog, message);
    }
  else if (g_error_matches (error, PC_ERROR, PC_ERROR_PASSWORD_REQUIRED))
    /* The policy changed under us: ask after all. */
    open_logout_password_dialog (call->self);
  else
    toast_error (call->self, _("Could not log out"), error);
}

static void
logout (PcWindow         *self,
        const char       *password,
        PcPasswordDialog *dialog)
{
  PcDbusManager *manager = pc_client_get_manager (self->client);
  Call *call;

  if (manager == NULL)
    {
      toast (self, _("The Portcullis service is not available."));
      return;
    }

  self->logout_busy = TRUE;
  call = call_new (self, "logout", NULL);
  if (dialog != NULL)
    {
      call->dialog = g_object_ref (dialog);
      pc_password_dialog_set_busy (dialog, TRUE);
    }
  pc_dbus_manager_call_logout (manager, password, NULL, on_logout_done_cb, call);
}

static void
on_logout_submit_cb (PcWindow         *self,
                     const char       *password,
                     const char       *reason,
                     PcPasswordDialog *dialog)
{
  g_assert (PC_IS_WINDOW (self));

  logout (self, password, dialog);
}

static void
open_logout_password_dialog (PcWindow *self)
{
  PcPasswordDialog *dialog;

  dialog = pc_password_dialog_new (GTK_WINDOW (self),
                                   _("Log Out of Portcullis?"),
                                   _("Your organization requires a password to log out. "
                                     "Your traffic is not protected until you log in again."),
                                   _("Log Out"), TRUE, FALSE);
  g_signal_connect_object (dialog, "submit", G_CALLBACK (on_logout_submit_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_logout_response_cb (PcWindow         *self,
                       const char       *response,
                       AdwMessageDialog *dialog)
{
  g_assert (PC_IS_WINDOW (self));

  if (g_str_equal (response, "logout"))
    logout (self, "", NULL);
}

static void
logout_action (GSimpleAction *action,
               GVariant      *parameter,
               gpointer       user_data)
{
  PcWindow *self = user_data;
  GtkWidget *dialog;

  if (pc_client_get_policy_boolean (self->client, "logout-password", FALSE))
    {
      open_logout_password_dialog (self);
      return;
    }

  dialog = adw_message_dialog_new (GTK_WINDOW (self),
                                   _("Log Out of Portcullis?"),
                                   _("Your traffic is not protected until you log in again."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("Cancel"),
                                    "logout", _("Log Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "logout",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_logout_response_cb),
                           self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (dialog));
}

static const GActionEntry win_actions[] = {
  { "retry", retry_action, "s" },
  { "open-browser", open_browser_action, "s" },
  { "authenticate", authenticate_action, "s" },
  { "turn-off", turn_off_action, "s" },
  { "turn-on", turn_on_action, "s" },
  { "logout", logout_action },
};

/* Pages */

static void
update_page_icon (PcWindow     *self,
                  PcModulePage *page)
{
  AdwViewStackPage *stack_page = adw_view_stack_get_page (self->view_stack, GTK_WIDGET (page));
  PcSeverity severity = pc_module_page_get_severity (page);

  if (stack_page == NULL)
    return;

  adw_view_stack_page_set_icon_name (stack_page, pc_format_severity_icon (severity));
  adw_view_stack_page_set_needs_attention (stack_page, severity >= PC_SEVERITY_WARNING);
}

static void
on_page_severity_cb (PcWindow     *self,
                     GParamSpec   *pspec,
                     PcModulePage *page)
{
  g_assert (PC_IS_WINDOW (self));

  update_page_icon (self, page);
}

static void
update_stack (PcWindow *self)
{
  GListModel *modules = pc_client_get_modules (self->client);
  const char *name;

  if (!pc_client_get_available (self->client))
    name = "unavailable";
  else if (g_list_model_get_n_items (modules) == 0)
    name = "empty";
  else
    name = "modules";

  /* Only the page on screen stays visible, so assistive technologies
   * (which GTK 4.8 shows every visible widget to) see what the eye sees. */
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->main_stack));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    {
      GtkStackPage *page = gtk_stack_get_page (self->main_stack, child);

      if (g_strcmp0 (gtk_stack_page_get_name (page), name) == 0)
        {
          gtk_widget_set_visible (child, TRUE);
          gtk_stack_set_visible_child (self->main_stack, child);
        }
    }
  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self->main_stack));
       child != NULL; child = gtk_widget_get_next_sibling (child))
    if (child != gtk_stack_get_visible_child (self->main_stack))
      gtk_widget_set_visible (child, FALSE);
  gtk_widget_set_visible (GTK_WIDGET (self->switcher_title), g_str_equal (name, "modules"));
  pc_window_update_actions (self);
}

/* One page per module kind, made when the kind first appears and kept:
 * when the service goes and comes back the page gets the new proxy. */
static void
sync_pages (PcWindow *self)
{
  const char *first = NULL;

  self->rebuilding = TRUE;
  for (guint kind = 0; kind < PC_N_MODULES; kind++)
    {
      PcDbusModule *module = pc_client_get_module (self->client, kind);
      const char *name = pc_module_kind_to_string (kind);
      GtkWidget *page = find_page (self, name);

      /* Pages are made once the service's objects are all known, so
       * they come in display order whatever order the bus listed them. */
      if (page == NULL && module != NULL && pc_client_get_available (self->client))
        {
          page = pc_module_page_new (self->client, module);
          adw_view_stack_add_titled (self->view_stack, page, name, pc_module_kind_get_title (kind));
          g_signal_connect_object (page, "notify::severity",
                                   G_CALLBACK (on_page_severity_cb), self,
                                   G_CONNECT_SWAPPED);
        }
      if (page == NULL)
        continue;

      pc_module_page_set_module (PC_MODULE_PAGE (page), module);
      /* Hidden with its switcher button while the profile leaves it out. */
      gtk_widget_set_visible (page, module != NULL);
      update_page_icon (self, PC_MODULE_PAGE (page));
      if (module != NULL && first == NULL)
        first = name;
    }

  /* Keep the user's page, else the first. */
  if (self->chosen_module != NULL && pc_window_has_module (self, self->chosen_module))
    adw_view_stack_set_visible_child_name (self->view_stack, self->chosen_module);
  else if (first != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, first);
  self->rebuilding = FALSE;
}

static void
on_visible_page_cb (PcWindow     *self,
                    GParamSpec   *pspec,
                    AdwViewStack *view_stack)
{
  g_assert (PC_IS_WINDOW (self));

  if (self->rebuilding || adw_view_stack_get_visible_child_name (view_stack) == NULL)
    return;

  g_free (self->chosen_module);
  self->chosen_module = g_strdup (adw_view_stack_get_visible_child_name (view_stack));
}

static void
on_modules_changed_cb (PcWindow   *self,
                       guint       position,
                       guint       removed,
                       guint       added,
                       GListModel *modules)
{
  g_assert (PC_IS_WINDOW (self));

  sync_pages (self);
  update_stack (self);
}

static void
on_client_changed_cb (PcWindow *self,
                      PcClient *client)
{
  g_assert (PC_IS_WINDOW (self));

  update_stack (self);
}

/* Startup time is a budget (tests/bench/window-startup.py reads this with
 * G_MESSAGES_DEBUG=portcullis-window); g_get_monotonic_time() is
 * CLOCK_MONOTONIC, comparable with the launcher's clock. */
static void
on_first_frame_cb (GdkFrameClock *frame_clock,
                   PcWindow      *self)
{
  g_signal_handlers_disconnect_by_func (frame_clock, on_first_frame_cb, self);
  g_debug ("First frame drawn at monotonic %" G_GINT64_FORMAT " us", g_get_monotonic_time ());
}

static void
pc_window_realize (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pc_window_parent_class)->realize (widget);

  g_signal_connect_object (gtk_widget_get_frame_clock (widget), "after-paint",
                           G_CALLBACK (on_first_frame_cb), widget, 0);
}

static void
on_client_available_cb (PcWindow   *self,
                        GParamSpec *pspec,
                        PcClient   *client)
{
  g_assert (PC_IS_WINDOW (self));

  sync_pages (self);
  update_stack (self);
}

static void
pc_window_constructed (GObject *object)
{
  PcWindow *self = PC_WINDOW (object);

  G_OBJECT_CLASS (pc_window_parent_class)->constructed (object);

  g_signal_connect_object (pc_client_get_modules (self->client), "items-changed",
                           G_CALLBACK (on_modules_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "changed",
                           G_CALLBACK (on_client_changed_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->client, "notify::available",
                           G_CALLBACK (on_client_available_cb), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->view_stack, "notify::visible-child-name",
                           G_CALLBACK (on_visible_page_cb), self,
                           G_CONNECT_SWAPPED);
  sync_pages (self);
  update_stack (self);
}

static void
pc_window_dispose (GObject *object)
{
  PcWindow *self = PC_WINDOW (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_WINDOW);
  g_clear_object (&self->client);
  g_clear_pointer (&self->busy, g_hash_table_unref);
  g_clear_pointer (&self->chosen_module, g_free);

  G_OBJECT_CLASS (pc_window_parent_class)->dispose (object);
}

static void
pc_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PcWindow *self = PC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PcWindow *self = PC_WINDOW (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_window_class_init (PcWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pc_window_constructed;
  object_class->dispose = pc_window_dispose;
  object_class->get_property = pc_window_get_property;
  object_class->set_property = pc_window_set_property;

  widget_class->realize = pc_window_realize;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         PC_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/Portcullis/pc-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PcWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, logout_button);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, PcWindow, view_stack);
}

static void
pc_window_init (PcWindow *self)
{
  self->busy = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  gtk_widget_init_template (GTK_WIDGET (self));
  g_action_map_add_action_entries (G_ACTION_MAP (self), win_actions,
                                   G_N_ELEMENTS (win_actions), self);
}

PcWindow *
pc_window_new (AdwApplication *application,
               PcClient       *client)
{
  return g_object_new (PC_TYPE_WINDOW,
                       "application", application,
                       "client", client,
                       NULL);
}

void
pc_window_add_toast (PcWindow *self,
                     AdwToast *t)
{
  g_return_if_fail (PC_IS_WINDOW (self));

  adw_toast_overlay_add_toast (self->toast_overlay, t);
}

/* Shows the module's page; FALSE when the profile does not enable it. */
gboolean
pc_window_show_module (PcWindow   *self,
                       const char *kind)
{
  g_return_val_if_fail (PC_IS_WINDOW (self), FALSE);

  if (kind == NULL || !pc_window_has_module (self, kind))
    return FALSE;

  adw_view_stack_set_visible_child_name (self->view_stack, kind);
  g_free (self->chosen_module);
  self->chosen_module = g_strdup (kind);
  return TRUE;
}
