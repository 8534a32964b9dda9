/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "portcullis-window"

#include "config.h"

#include <glib/gi18n.h>

#include "pc-module-page.h"
#include "pc-action-box.h"
#include "pc-format.h"

/*
 * One module's page: the Service Status row with the contextual buttons of
 * the catalog beside it, what happened and what to do, the escalation
 * steps as buttons, and the connection facts, all following the module's
 * D-Bus properties as they change.
 */

struct _PcModulePage
{
  AdwBin                parent_instance;

  /* template widgets */
  AdwActionRow         *status_row;
  GtkImage             *status_icon;
  GtkSpinner           *spinner;
  AdwPreferencesRow    *status_actions_row;
  PcActionBox          *status_actions;
  GtkButton            *retry_button;
  GtkButton            *open_browser_button;
  AdwActionRow         *auth_row;
  GtkButton            *authenticate_button;
  GtkButton            *authenticate_early_button;
  AdwActionRow         *fail_mode_row;
  GtkLabel             *explanation_label;
  GtkLabel             *detail_label;
  AdwPreferencesGroup  *guidance_group;
  AdwPreferencesGroup  *escalation_group;
  AdwActionRow         *check_network_row;
  AdwActionRow         *restart_service_row;
  AdwActionRow         *repair_app_row;
  AdwActionRow         *relogin_row;
  AdwActionRow         *restart_normally_row;
  AdwActionRow         *contact_admin_row;
  AdwActionRow         *contact_support_row;
  AdwActionRow         *user_row;
  AdwActionRow         *protection_row;
  GtkButton            *turn_off_button;
  GtkButton            *turn_on_button;
  AdwActionRow         *network_type_row;
  AdwActionRow         *server_row;
  AdwActionRow         *client_address_row;
  AdwActionRow         *time_connected_row;
  AdwActionRow         *bytes_sent_row;
  AdwActionRow         *bytes_received_row;

  /* owned */
  PcClient             *client;
  PcDbusModule         *module;
  GSignalGroup         *manager_signals;
  GPtrArray            *guidance_rows;
  char                 *guidance_key;
  guint                 clock_id;

  PcSeverity            severity;
};

G_DEFINE_FINAL_TYPE (PcModulePage, pc_module_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_MODULE,
  PROP_SEVERITY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
set_subtitle (AdwActionRow *row,
              const char   *value)
{
  if (value == NULL || *value == '\0')
    value = _("None");

  /* Setting an equal string still queues a resize; skip it. */
  if (g_strcmp0 (adw_action_row_get_subtitle (row), value) != 0)
    adw_action_row_set_subtitle (row, value);
}

static void
set_label (GtkLabel   *label,
           const char *text)
{
  gboolean visible = text != NULL && *text != '\0';

  if (visible && g_strcmp0 (gtk_label_get_label (label), text) != 0)
    gtk_label_set_label (label, text);
  gtk_widget_set_visible (GTK_WIDGET (label), visible);
}


static void
update_time_connected (PcModulePage *self)
{
  guint64 since = pc_dbus_module_get_since (self->module);
  g_autofree char *text = NULL;

  if (g_strcmp0 (pc_dbus_module_get_status (self->module), "on") == 0 && since > 0)
    text = pc_format_duration (g_get_real_time () - (gint64) since);

  set_subtitle (self->time_connected_row, text);
}

static gboolean
on_clock_tick_cb (gpointer user_data)
{
  PcModulePage *self = user_data;

  update_time_connected (self);
  return G_SOURCE_CONTINUE;
}

/* Ticks only while the page is on screen and the module is on. */
static void
update_clock (PcModulePage *self)
{
  gboolean wanted = gtk_widget_get_mapped (GTK_WIDGET (self)) &&
                    self->module != NULL &&
                    g_strcmp0 (pc_dbus_module_get_status (self->module), "on") == 0;

  if (wanted && self->clock_id == 0)
    {
      self->clock_id = g_timeout_add_seconds (1, on_clock_tick_cb, self);
      g_source_set_name_by_id (self->clock_id, "[portcullis] time connected");
    }
  else if (!wanted)
    g_clear_handle_id (&self->clock_id, g_source_remove);
}

static void
clear_guidance (PcModulePage *self)
{
  for (guint i = 0; i < self->guidance_rows->len; i++)
    adw_preferences_group_remove (self->guidance_group,
                                  g_ptr_array_index (self->guidance_rows, i));
  g_ptr_array_set_size (self->guidance_rows, 0);
}

static void
update_guidance (PcModulePage *self,
                 const char   *code,
                 const char   *support_contact)
{
  PcModuleKind kind = pc_dbus_module_get_kind_enum (self->module);
  g_auto(GStrv) steps = NULL;
  g_autofree char *key = NULL;
  gboolean has_error = code != NULL && *code != '\0';

  /* Rebuilding rows is the only costly part of an update: do it only when
   * the code or the contact changed, not on every byte counter tick. */
  key = g_strdup_printf ("%s\n%s", has_error ? code : "", support_contact ? support_contact : "");
  if (g_strcmp0 (key, self->guidance_key) == 0)
    return;
  g_free (self->guidance_key);
  self->guidance_key = g_steal_pointer (&key);

  clear_guidance (self);
  gtk_widget_set_visible (GTK_WIDGET (self->guidance_group), has_error);
  if (!has_error)
    return;

  steps = pc_catalog_dup_guidance (code, kind, support_contact);
  for (guint i = 0; steps[i] != NULL; i++)
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *number;
      g_autofree char *digits = g_strdup_printf ("%u", i + 1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), steps[i]);
      adw_action_row_set_title_lines (ADW_ACTION_ROW (row), 0);
      number = gtk_label_new (digits);
      gtk_widget_add_css_class (number, "step-number");
      gtk_widget_set_valign (number, GTK_ALIGN_CENTER);
      gtk_accessible_update_state (GTK_ACCESSIBLE (number),
                                   GTK_ACCESSIBLE_STATE_HIDDEN, TRUE,
                                   -1);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), number);
      adw_preferences_group_add (self->guidance_group, row);
      g_ptr_array_add (self->guidance_rows, row);
    }
}

static void
update_escalation (PcModulePage *self,
                   const char   *code,
                   const char   *support_contact)
{
  const PcEscalation *steps;
  gboolean shown[PC_STEP_RESTART_NORMALLY + 1] = { FALSE };
  gboolean any = FALSE;
  g_autofree char *contact = NULL;

  if (code != NULL && *code != '\0')
    {
      steps = pc_catalog_get_escalation (code);
      for (guint i = 0; i < PC_MAX_ESCALATION && steps[i] != PC_STEP_END; i++)
        shown[steps[i]] = TRUE;
    }

  /* What the policy forbids is hidden, not offered and refused. */
  if (!pc_client_get_policy_boolean (self->client, "restart-service", TRUE))
    shown[PC_STEP_RESTART_SERVICE] = FALSE;
  if (!pc_client_get_policy_boolean (self->client, "repair-app", TRUE))
    shown[PC_STEP_REPAIR_APP] = FALSE;

  gtk_widget_set_visible (GTK_WIDGET (self->check_network_row), shown[PC_STEP_CHECK_NETWORK]);
  gtk_widget_set_visible (GTK_WIDGET (self->restart_service_row), shown[PC_STEP_RESTART_SERVICE]);
  gtk_widget_set_visible (GTK_WIDGET (self->repair_app_row), shown[PC_STEP_REPAIR_APP]);
  gtk_widget_set_visible (GTK_WIDGET (self->relogin_row), shown[PC_STEP_LOG_OUT_AND_IN]);
  gtk_widget_set_visible (GTK_WIDGET (self->restart_normally_row), shown[PC_STEP_RESTART_NORMALLY]);
  gtk_widget_set_visible (GTK_WIDGET (self->contact_admin_row), shown[PC_STEP_CONTACT_ADMIN]);
  gtk_widget_set_visible (GTK_WIDGET (self->contact_support_row), shown[PC_STEP_CONTACT_SUPPORT]);

  contact = g_strdup (support_contact != NULL ? support_contact : _("Your IT support"));
  set_subtitle (self->contact_admin_row, contact);
  set_subtitle (self->contact_support_row, contact);

  for (guint i = PC_STEP_RESTART_SERVICE; i <= PC_STEP_RESTART_NORMALLY; i++)
    any |= shown[i];
  gtk_widget_set_visible (GTK_WIDGET (self->escalation_group), any);
}

static void
pc_module_page_update (PcModulePage *self)
{
  PcDbusManager *manager;
  PcModuleKind kind;
  PcActions actions;
  PcSeverity severity;
  const char *status, *code, *detail, *auth, *fail_mode;
  g_autofree char *title = NULL;
  g_autofree char *explanation = NULL;
  g_autofree char *detail_text = NULL;
  g_autofree char *support_contact = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *received = NULL;
  gboolean disabled;

  if (self->module == NULL)
    return;

  kind = pc_dbus_module_get_kind_enum (self->module);
  status = pc_dbus_module_get_status (self->module);
  code = pc_dbus_module_get_error (self->module);
  detail = pc_dbus_module_get_error_detail (self->module);
  auth = pc_dbus_module_get_auth_status (self->module);
  fail_mode = pc_dbus_module_get_fail_mode (self->module);
  manager = pc_client_get_manager (self->client);
  support_contact = pc_client_dup_policy_string (self->client, "support-contact");

  if (code != NULL && *code == '\0')
    code = NULL;

  /* Status, or the error's exact title with its reason. */
  title = pc_status_dup_title (status, code, detail);
  set_subtitle (self->status_row, title);

  severity = pc_status_get_severity (status, code);
  if (g_strcmp0 (gtk_image_get_icon_name (self->status_icon), pc_format_severity_icon (severity)) != 0)
    gtk_image_set_from_icon_name (self->status_icon, pc_format_severity_icon (severity));
  if (severity != self->severity)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->status_icon),
                                   pc_format_severity_style (self->severity));
      self->severity = severity;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEVERITY]);
    }
  gtk_widget_add_css_class (GTK_WIDGET (self->status_icon), pc_format_severity_style (severity));

  if (code != NULL)
    {
      explanation = pc_catalog_dup_explanation (code);
      if (!pc_catalog_is_known (code))
        {
          g_autofree char *known = g_steal_pointer (&explanation);
          /* Translators: the first %s explains, the second is a status code */
          explanation = g_strdup_printf (_("%s (code “%s”)"), known, code);
        }
      /* Fail Close carries its reason in the title already. */
      if (detail != NULL && *detail != '\0' && g_strcmp0 (code, "fail-close") != 0)
        /* Translators: %s is a technical reason, such as "Connection refused" */
        detail_text = g_strdup_printf (_("Details: %s"), detail);
    }
  set_label (self->explanation_label, explanation);
  set_label (self->detail_label, detail_text);

  /* The contextual buttons, exactly as the catalog lists them. */
  actions = code != NULL ? pc_catalog_get_actions (code, kind) : PC_ACTION_NONE;
  gtk_widget_set_visible (GTK_WIDGET (self->retry_button), (actions & PC_ACTION_RETRY) != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->open_browser_button), (actions & PC_ACTION_OPEN_BROWSER) != 0);
  gtk_widget_set_visible (GTK_WIDGET (self->status_actions_row),
                          (actions & (PC_ACTION_RETRY | PC_ACTION_OPEN_BROWSER)) != 0);

  /* Private Access authenticates on its own row. */
  gtk_widget_set_visible (GTK_WIDGET (self->auth_row), kind == PC_MODULE_PRIVATE_ACCESS);
  set_subtitle (self->auth_row, pc_format_auth_status (auth));
  gtk_widget_set_visible (GTK_WIDGET (self->authenticate_button),
                          (actions & PC_ACTION_AUTHENTICATE) != 0 ||
                          (code == NULL && (g_strcmp0 (auth, "required") == 0 ||
                                            g_strcmp0 (auth, "error") == 0)));
  gtk_widget_set_visible (GTK_WIDGET (self->authenticate_early_button),
                          (actions & PC_ACTION_AUTHENTICATE) == 0 &&
                          g_strcmp0 (auth, "authenticated") == 0);

  set_subtitle (self->fail_mode_row, pc_format_fail_mode (fail_mode));
  gtk_widget_set_visible (GTK_WIDGET (self->fail_mode_row), pc_format_fail_mode (fail_mode) != NULL);

  update_guidance (self, code, support_contact);
  update_escalation (self, code, support_contact);

  /* Connection facts */
  if (manager != NULL)
    {
      const char *user = pc_dbus_manager_get_user (manager);
      set_subtitle (self->user_row, (user && *user) ? user : _("Not logged in"));
      set_subtitle (self->network_type_row,
                    pc_format_network_type (pc_dbus_manager_get_network_type (manager)));
    }

  disabled = g_strcmp0 (status, "disabled") == 0;
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->protection_row),
                                 pc_module_kind_get_title (kind));
  set_subtitle (self->protection_row, disabled ? _("Turned off") : _("Turned on"));
  gtk_widget_set_visible (GTK_WIDGET (self->turn_off_button), !disabled);
  gtk_widget_set_visible (GTK_WIDGET (self->turn_on_button), disabled);

  set_subtitle (self->server_row, pc_dbus_module_get_server (self->module));
  set_subtitle (self->client_address_row, pc_dbus_module_get_client_address (self->module));
  sent = pc_format_bytes (pc_dbus_module_get_bytes_sent (self->module));
  received = pc_format_bytes (pc_dbus_module_get_bytes_received (self->module));
  set_subtitle (self->bytes_sent_row, sent);
  set_subtitle (self->bytes_received_row, received);

  update_time_connected (self);
  update_clock (self);
}

static void
on_module_properties_changed_cb (PcModulePage *self,
                                 GVariant     *changed,
                                 GStrv         invalidated,
                                 GDBusProxy   *proxy)
{
  g_assert (PC_IS_MODULE_PAGE (self));

  pc_module_page_update (self);
}

/* The user, the network type and the policy: Manager properties. Not
 * the client's "changed", which fires for every module's every change. */
static void
on_manager_properties_changed_cb (PcModulePage *self,
                                  GVariant     *changed,
                                  GStrv         invalidated,
                                  GDBusProxy   *proxy)
{
  g_assert (PC_IS_MODULE_PAGE (self));

  pc_module_page_update (self);
}

static void
set_targets (PcModulePage *self)
{
  const char *kind = pc_module_kind_to_string (pc_dbus_module_get_kind_enum (self->module));
  GtkActionable *buttons[] = {
    GTK_ACTIONABLE (self->retry_button),
    GTK_ACTIONABLE (self->open_browser_button),
    GTK_ACTIONABLE (self->authenticate_button),
    GTK_ACTIONABLE (self->authenticate_early_button),
    GTK_ACTIONABLE (self->turn_off_button),
    GTK_ACTIONABLE (self->turn_on_button),
  };

  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    gtk_actionable_set_action_target (buttons[i], "s", kind);
}

static void
pc_module_page_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pc_module_page_parent_class)->map (widget);
  pc_module_page_update (PC_MODULE_PAGE (widget));
}

static void
pc_module_page_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (pc_module_page_parent_class)->unmap (widget);
  update_clock (PC_MODULE_PAGE (widget));
}

static void
pc_module_page_constructed (GObject *object)
{
  PcModulePage *self = PC_MODULE_PAGE (object);

  G_OBJECT_CLASS (pc_module_page_parent_class)->constructed (object);

  g_assert (self->client != NULL);

  self->manager_signals = g_signal_group_new (G_TYPE_DBUS_PROXY);
  g_signal_group_connect_swapped (self->manager_signals, "g-properties-changed",
                                  G_CALLBACK (on_manager_properties_changed_cb), self);
  g_object_bind_property (self->client, "manager", self->manager_signals, "target",
                          G_BINDING_SYNC_CREATE);
  pc_module_page_update (self);
}

/* A page outlives the service's proxies: when the service comes back its
 * new proxy is set here, so the page is not rebuilt under the user's eyes
 * (or under a screen reader walking it). */
void
pc_module_page_set_module (PcModulePage *self,
                           PcDbusModule *module)
{
  g_return_if_fail (PC_IS_MODULE_PAGE (self));
  g_return_if_fail (module == NULL || PC_DBUS_IS_MODULE (module));

  if (self->module == module)
    return;

  if (self->module != NULL)
    g_signal_handlers_disconnect_by_func (self->module, on_module_properties_changed_cb, self);
  g_set_object (&self->module, module);

  if (module != NULL)
    {
      PcModuleKind kind = pc_dbus_module_get_kind_enum (module);

      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_LABEL, pc_module_kind_get_title (kind),
                                      -1);
      set_targets (self);
      g_signal_connect_object (module, "g-properties-changed",
                               G_CALLBACK (on_module_properties_changed_cb), self,
                               G_CONNECT_SWAPPED);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODULE]);
  pc_module_page_update (self);
}

static void
pc_module_page_dispose (GObject *object)
{
  PcModulePage *self = PC_MODULE_PAGE (object);

  g_clear_handle_id (&self->clock_id, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), PC_TYPE_MODULE_PAGE);
  if (self->module != NULL)
    g_signal_handlers_disconnect_by_func (self->module, on_module_properties_changed_cb, self);
  g_clear_object (&self->module);
  g_clear_object (&self->manager_signals);
  g_clear_object (&self->client);
  g_clear_pointer (&self->guidance_rows, g_ptr_array_unref);
  g_clear_pointer (&self->guidance_key, g_free);

  G_OBJECT_CLASS (pc_module_page_parent_class)->dispose (object);
}

static void
pc_module_page_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  PcModulePage *self = PC_MODULE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;

    case PROP_MODULE:
      g_value_set_object (value, self->module);
      break;

    case PROP_SEVERITY:
      g_value_set_int (value, self->severity);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_module_page_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  PcModulePage *self = PC_MODULE_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    case PROP_MODULE:
      pc_module_page_set_module (self, g_value_get_object (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
pc_module_page_class_init (PcModulePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = pc_module_page_constructed;
  object_class->dispose = pc_module_page_dispose;
  object_class->get_property = pc_module_page_get_property;
  object_class->set_property = pc_module_page_set_property;

  widget_class->map = pc_module_page_map;
  widget_class->unmap = pc_module_page_unmap;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL,
                         PC_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  properties[PROP_MODULE] =
    g_param_spec_object ("module", NULL, NULL,
                         PC_DBUS_TYPE_MODULE,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* A PcSeverity, for the page's icon in the view switcher. */
  properties[PROP_SEVERITY] =
    g_param_spec_int ("severity", NULL, NULL,
                      PC_SEVERITY_OK, PC_SEVERITY_UNAVAILABLE, PC_SEVERITY_OK,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PC_TYPE_ACTION_BOX);
  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/Portcullis/pc-module-page.ui");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);

  gtk_widget_class_bind_template_child (widget_class, PcModulePage, status_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, status_icon);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, spinner);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, status_actions_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, status_actions);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, retry_button);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, open_browser_button);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, auth_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, authenticate_button);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, authenticate_early_button);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, fail_mode_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, explanation_label);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, detail_label);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, guidance_group);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, escalation_group);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, check_network_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, restart_service_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, repair_app_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, relogin_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, restart_normally_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, contact_admin_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, contact_support_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, user_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, protection_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, turn_off_button);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, turn_on_button);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, network_type_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, server_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, client_address_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, time_connected_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, bytes_sent_row);
  gtk_widget_class_bind_template_child (widget_class, PcModulePage, bytes_received_row);
}

static void
pc_module_page_init (PcModulePage *self)
{
  self->guidance_rows = g_ptr_array_new ();
  self->severity = PC_SEVERITY_OK;
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
pc_module_page_new (PcClient     *client,
                    PcDbusModule *module)
{
  g_return_val_if_fail (PC_IS_CLIENT (client), NULL);
  g_return_val_if_fail (module == NULL || PC_DBUS_IS_MODULE (module), NULL);

  return g_object_new (PC_TYPE_MODULE_PAGE,
                       "client", client,
                       "module", module,
                       NULL);
}

PcDbusModule *
pc_module_page_get_module (PcModulePage *self)
{
  g_return_val_if_fail (PC_IS_MODULE_PAGE (self), NULL);

  return self->module;
}

PcSeverity
pc_module_page_get_severity (PcModulePage *self)
{
  g_return_val_if_fail (PC_IS_MODULE_PAGE (self), PC_SEVERITY_OK);

  return self->severity;
}

/* Shows a spinner beside Status while one of this module's calls runs. */
void
pc_module_page_set_busy (PcModulePage *self,
                         gboolean      busy)
{
  g_return_if_fail (PC_IS_MODULE_PAGE (self));

  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
}
