// ESP8266 relay for Postbridge.
//
// Subscribes to   home/relay/<id>/set    payloads: ON, OFF, TOGGLE (case-insensitive), 1, 0
// Reports state   home/relay/<id>/state  retained: ON or OFF, after every change and on connect
// Availability    home/relay/<id>/status retained: "online" on connect; Last Will "offline"
// Replies         home/relay/<id>/set/reply with the new state, so `POST /v1/request/...` gets an answer
//
// Libraries (Arduino Library Manager): "PubSubClient" by Nick O'Leary (MQTT 3.1.1), ESP8266 core.
// PubSubClient's default packet size is 256 bytes; that is plenty here.

#include <ESP8266WiFi.h>
#include <PubSubClient.h>

// ---- edit these ----
const char *WIFI_SSID = "your-wifi";
const char *WIFI_PASSWORD = "your-wifi-password";
const char *MQTT_HOST = "192.168.1.10";  // the machine running Postbridge
const uint16_t MQTT_PORT = 1883;
const char *MQTT_USER = "relay1";       // postbridge user add relay1 --publish 'home/relay/1/#' --subscribe 'home/relay/1/#'
const char *MQTT_PASSWORD = "relay1-password";
const char *RELAY_ID = "1";
const uint8_t RELAY_PIN = 12;            // Sonoff Basic: GPIO12; Wemos relay shield: D1 (GPIO5)
const bool RELAY_ACTIVE_HIGH = true;
// --------------------

WiFiClient wifi;
PubSubClient mqtt(wifi);
bool relayOn = false;
char topicSet[64], topicState[64], topicStatus[64], topicReply[72];

void applyRelay() {
  digitalWrite(RELAY_PIN, (relayOn == RELAY_ACTIVE_HIGH) ? HIGH : LOW);
}

void reportState() {
  // Retained, so a phone or GET /v1/retained/home/relay/1/state knows the state without asking the device.
  mqtt.publish(topicState, relayOn ? "ON" : "OFF", true);
}

void onMessage(char *topic, byte *payload, unsigned int length) {
  char command[16];
  unsigned int n = length < sizeof(command) - 1 ? length : sizeof(command) - 1;
  for (unsigned int i = 0; i < n; i++) command[i] = toupper(payload[i]);
  command[n] = '\0';

  if (!strcmp(command, "ON") || !strcmp(command, "1")) relayOn = true;
  else if (!strcmp(command, "OFF") || !strcmp(command, "0")) relayOn = false;
  else if (!strcmp(command, "TOGGLE")) relayOn = !relayOn;
  else return;  // unknown commands change nothing

  applyRelay();
  reportState();
  mqtt.publish(topicReply, relayOn ? "ON" : "OFF", false);
}

void connectWifi() {
  WiFi.mode(WIFI_STA);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  while (WiFi.status() != WL_CONNECTED) delay(250);
}

void connectMqtt() {
  char clientId[32];
  snprintf(clientId, sizeof(clientId), "relay-%s-%06x", RELAY_ID, ESP.getChipId());
  while (!mqtt.connected()) {
    // Last Will: the broker publishes "offline" (retained) if the relay vanishes without saying goodbye.
    if (mqtt.connect(clientId, MQTT_USER, MQTT_PASSWORD, topicStatus, 1, true, "offline")) {
      mqtt.publish(topicStatus, "online", true);
      mqtt.subscribe(topicSet, 1);
      reportState();
    } else {
      delay(2000);  // rc codes: mqtt.state(); 4 = bad credentials, 5 = not authorised
    }
  }
}

void setup() {
  pinMode(RELAY_PIN, OUTPUT);
  applyRelay();
  snprintf(topicSet, sizeof(topicSet), "home/relay/%s/set", RELAY_ID);
  snprintf(topicState, sizeof(topicState), "home/relay/%s/state", RELAY_ID);
  snprintf(topicStatus, sizeof(topicStatus), "home/relay/%s/status", RELAY_ID);
  snprintf(topicReply, sizeof(topicReply), "home/relay/%s/set/reply", RELAY_ID);
  connectWifi();
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  mqtt.setCallback(onMessage);
  mqtt.setKeepAlive(30);
}

void loop() {
  if (WiFi.status() != WL_CONNECTED) connectWifi();
  if (!mqtt.connected()) connectMqtt();
  mqtt.loop();
}
