// ESP8266 relay for Postbridge over MQTT/TLS (port 8883), with BearSSL.
//
// The same relay as ../esp8266-relay (topics, Last Will, replies), but the connection is encrypted and the
// ESP8266 checks that it talks to your Postbridge: either against your CA certificate (survives renewals that keep
// the CA) or against the server certificate's SHA-1 fingerprint (must be updated at every renewal).
//
// Libraries (Arduino Library Manager): "PubSubClient" by Nick O'Leary, ESP8266 core 3.x (BearSSL is built in).

#include <ESP8266WiFi.h>
#include <PubSubClient.h>
#include <WiFiClientSecure.h>
#include <time.h>

// ---- edit these ----
const char *WIFI_SSID = "your-wifi";
const char *WIFI_PASSWORD = "your-wifi-password";
const char *MQTT_HOST = "pi.example.net";  // must match a name in the server certificate
const uint16_t MQTT_PORT = 8883;            // tls.mqttPort
const char *MQTT_USER = "relay1";
const char *MQTT_PASSWORD = "relay1-password";
const char *RELAY_ID = "1";
const uint8_t RELAY_PIN = 12;
const bool RELAY_ACTIVE_HIGH = true;

// Either: your CA certificate (the file you passed to mosquitto_pub --cafile), PEM, between the quotes.
#define USE_CA_CERT 1
static const char CA_CERT[] PROGMEM = R"PEM(
-----BEGIN CERTIFICATE-----
...paste ca.pem here...
-----END CERTIFICATE-----
)PEM";
// Or: the server certificate's SHA-1 fingerprint:
//   openssl x509 -in cert.pem -noout -fingerprint -sha1
static const char FINGERPRINT[] PROGMEM = "AA BB CC DD EE FF 00 11 22 33 44 55 66 77 88 99 AA BB CC DD";
// --------------------

BearSSL::WiFiClientSecure tls;
#if USE_CA_CERT
BearSSL::X509List trustAnchors(CA_CERT);
#endif
PubSubClient mqtt(tls);
bool relayOn = false;
char topicSet[64], topicState[64], topicStatus[64], topicReply[72];

void applyRelay() { digitalWrite(RELAY_PIN, (relayOn == RELAY_ACTIVE_HIGH) ? HIGH : LOW); }

void reportState() { mqtt.publish(topicState, relayOn ? "ON" : "OFF", true); }

void onMessage(char *topic, byte *payload, unsigned int length) {
  char command[16];
  unsigned int n = length < sizeof(command) - 1 ? length : sizeof(command) - 1;
  for (unsigned int i = 0; i < n; i++) command[i] = toupper(payload[i]);
  command[n] = '\0';
  if (!strcmp(command, "ON") || !strcmp(command, "1")) relayOn = true;
  else if (!strcmp(command, "OFF") || !strcmp(command, "0")) relayOn = false;
  else if (!strcmp(command, "TOGGLE")) relayOn = !relayOn;
  else return;
  applyRelay();
  reportState();
  mqtt.publish(topicReply, relayOn ? "ON" : "OFF", false);
}

void connectWifi() {
  WiFi.mode(WIFI_STA);
  WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  while (WiFi.status() != WL_CONNECTED) delay(250);
}

// A CA check needs the time (certificates have validity dates); a fingerprint check does not.
void setClock() {
  configTime(0, 0, "pool.ntp.org", "time.nist.gov");
  while (time(nullptr) < 1700000000) delay(250);
}

void connectMqtt() {
  char clientId[32];
  snprintf(clientId, sizeof(clientId), "relay-%s-%06x", RELAY_ID, ESP.getChipId());
  while (!mqtt.connected()) {
    if (mqtt.connect(clientId, MQTT_USER, MQTT_PASSWORD, topicStatus, 1, true, "offline")) {
      mqtt.publish(topicStatus, "online", true);
      mqtt.subscribe(topicSet, 1);
      reportState();
    } else {
      // -2 with a TLS error usually means a wrong CA/fingerprint, a name mismatch, or the clock not set.
      char err[80];
      tls.getLastSSLError(err, sizeof(err));
      delay(2000);
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
#if USE_CA_CERT
  setClock();
  tls.setTrustAnchors(&trustAnchors);
#else
  tls.setFingerprint(FINGERPRINT);
#endif
  // The TLS buffers are the ESP8266's largest memory cost; 1 KiB each way fits MQTT packets this small.
  tls.setBufferSizes(1024, 1024);
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  mqtt.setCallback(onMessage);
  mqtt.setKeepAlive(30);
}

void loop() {
  if (WiFi.status() != WL_CONNECTED) connectWifi();
  if (!mqtt.connected()) connectMqtt();
  mqtt.loop();
}
