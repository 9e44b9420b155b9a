// ESP8266 battery door sensor for Postbridge.
//
// Sleeps in deep sleep (~20 uA), wakes when the reed switch changes (a pulse on RST, see README.md) or once an
// hour on the RTC, and only turns Wi-Fi on when there is something to say:
//   - the door moved:        {"state":"open","battery":2.98}   on home/<id>/door
//   - every HEARTBEAT_HOURS:  the same message, as the heartbeat Postbridge's dead-man alarm waits for
// then disconnects cleanly and sleeps again. The Last Will ("offline") is only sent by the broker if the
// connection dies mid-wake (a brown-out while transmitting: a sign of a flat battery).
//
// Battery: the module runs straight from 2 x AA, so ADC_MODE(ADC_VCC) measures the battery itself with no
// divider and no extra current. A0 must stay unconnected in this mode.
//
// Libraries (Arduino Library Manager): "PubSubClient" by Nick O'Leary (MQTT 3.1.1), ESP8266 core 3.x.

#include <ESP8266WiFi.h>
#include <PubSubClient.h>

ADC_MODE(ADC_VCC);

// ---- edit these ----
const char *WIFI_SSID = "your-wifi";
const char *WIFI_PASSWORD = "your-wifi-password";
const char *MQTT_HOST = "192.168.1.10";   // the machine running Postbridge
const uint16_t MQTT_PORT = 1883;
const char *MQTT_USER = "workshop-door";  // postbridge user add workshop-door --publish 'home/workshop/door'
const char *MQTT_PASSWORD = "door-password";
const char *SENSOR_TOPIC = "home/workshop/door";
const char *CLIENT_ID = "workshop-door";
const uint8_t REED_PIN = 12;              // GPIO12 (D6 on a D1 mini): HIGH = reed open = door open
const uint32_t HEARTBEAT_HOURS = 12;      // set `heartbeat: 12h` on the sensor in postbridge.yaml
// A static address saves the DHCP exchange (~0.5-1 s of radio time per wake). Leave IP as 0.0.0.0 for DHCP.
IPAddress IP(0, 0, 0, 0), GATEWAY(192, 168, 1, 1), SUBNET(255, 255, 255, 0), DNS(192, 168, 1, 1);
// getVcc() reads a few percent off on most modules: measure once with a multimeter and set the factor.
const float VCC_CALIBRATION = 1.00;
// --------------------

const uint64_t HOUR_US = 3600ULL * 1000000ULL;  // ESP.deepSleepMax() is ~3.5 h; wake hourly and count
const uint32_t RTC_MAGIC = 0x50424453;            // "PBDS": RTC memory holds our state, not boot garbage
const uint32_t WIFI_TIMEOUT_MS = 10000;          // give up and sleep rather than drain the battery
const uint8_t UNKNOWN = 2;                       // lastOpen when Postbridge may not know the state

// Kept in RTC memory across deep sleep (lost on power-up, which counts as "first boot").
struct RtcState {
  uint32_t crc;
  uint32_t magic;
  uint32_t hoursSinceReport;
  uint8_t lastOpen;      // door state last reported
  uint8_t channel;       // Wi-Fi channel and BSSID of the last good connection: skips the scan
  uint8_t bssid[6];
  uint8_t pad[2];
} rtc;

WiFiClient wifi;
PubSubClient mqtt(wifi);

uint32_t crc32(const uint8_t *data, size_t length) {
  uint32_t crc = 0xffffffff;
  while (length--) {
    uint8_t c = *data++;
    for (uint32_t i = 0x80; i > 0; i >>= 1) {
      bool bit = crc & 0x80000000;
      if (c & i) bit = !bit;
      crc <<= 1;
      if (bit) crc ^= 0x04c11db7;
    }
  }
  return crc;
}

bool loadRtc() {
  if (!ESP.rtcUserMemoryRead(0, (uint32_t *)&rtc, sizeof(rtc))) return false;
  return rtc.magic == RTC_MAGIC && rtc.crc == crc32(((uint8_t *)&rtc) + 4, sizeof(rtc) - 4);
}

void saveRtc() {
  rtc.magic = RTC_MAGIC;
  rtc.crc = crc32(((uint8_t *)&rtc) + 4, sizeof(rtc) - 4);
  ESP.rtcUserMemoryWrite(0, (uint32_t *)&rtc, sizeof(rtc));
}

void sleepAnHour() {
  saveRtc();
  // GPIO16 is wired to RST (through a diode), so the RTC timer can wake us; the reed pulse wakes us earlier.
  ESP.deepSleep(HOUR_US, WAKE_RF_DEFAULT);
}

bool connectWifi() {
  WiFi.persistent(false);  // do not rewrite flash on every wake
  WiFi.mode(WIFI_STA);
  if (IP != IPAddress(0, 0, 0, 0)) WiFi.config(IP, GATEWAY, SUBNET, DNS);
  bool known = rtc.channel != 0;
  if (known) WiFi.begin(WIFI_SSID, WIFI_PASSWORD, rtc.channel, rtc.bssid, true);
  else WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
  uint32_t start = millis();
  while (WiFi.status() != WL_CONNECTED) {
    if (known && millis() - start > WIFI_TIMEOUT_MS / 2) {
      // The access point moved channel (or was replaced): forget it and scan once.
      known = false;
      rtc.channel = 0;
      WiFi.disconnect();
      WiFi.begin(WIFI_SSID, WIFI_PASSWORD);
    }
    if (millis() - start > WIFI_TIMEOUT_MS) return false;
    delay(10);
  }
  rtc.channel = WiFi.channel();
  memcpy(rtc.bssid, WiFi.BSSID(), 6);
  return true;
}

bool report(bool open) {
  if (!connectWifi()) return false;
  mqtt.setServer(MQTT_HOST, MQTT_PORT);
  // Will: non-retained "offline" on the sensor topic; Postbridge records it as a `will` event.
  if (!mqtt.connect(CLIENT_ID, MQTT_USER, MQTT_PASSWORD, SENSOR_TOPIC, 0, false, "offline")) return false;
  float volts = ESP.getVcc() / 1000.0 * VCC_CALIBRATION;
  char payload[64];
  snprintf(payload, sizeof(payload), "{\"state\":\"%s\",\"battery\":%.2f}", open ? "open" : "closed", volts);
  bool ok = mqtt.publish(SENSOR_TOPIC, payload, false);
  // PubSubClient publishes at QoS 0: give the TCP stack a moment to send before we cut the power.
  for (int i = 0; i < 5; i++) {
    mqtt.loop();
    delay(10);
  }
  mqtt.disconnect();  // a clean DISCONNECT: the broker drops the Will, so sleeping is not "offline"
  wifi.stop();
  return ok;
}

void setup() {
  pinMode(REED_PIN, INPUT);  // external 1 MOhm pull-up: the internal ~50 kOhm would draw 66 uA while closed
  bool open = digitalRead(REED_PIN) == HIGH;
  if (!loadRtc()) {
    memset(&rtc, 0, sizeof(rtc));
    rtc.lastOpen = UNKNOWN;  // power-up: always report
  }
  rtc.hoursSinceReport += 1;
  bool unreported = rtc.lastOpen == UNKNOWN;
  bool moved = !unreported && open != (rtc.lastOpen == 1);
  // Some modules report a reed pulse as an external reset even when the door is back where it was (open and
  // shut before we booted): report then too, so a quick in-and-out is not lost. Others report every wake as
  // "deep sleep awake"; then only a changed state counts.
  bool externalWake = ESP.getResetInfoPtr()->reason == REASON_EXT_SYS_RST;
  bool heartbeatDue = rtc.hoursSinceReport >= HEARTBEAT_HOURS;

  if (unreported || moved || externalWake || heartbeatDue) {
    // A door moving while we report pulses RST and restarts us: the new boot reports the newer state.
    if (report(open)) {
      rtc.lastOpen = open ? 1 : 0;
      rtc.hoursSinceReport = 0;
    } else {
      rtc.lastOpen = UNKNOWN;  // Wi-Fi or broker unreachable: try again at the next wake
    }
  }
  // The door may have moved in the last few ms, after its pulse could still restart us: look once more
  // rather than sleep an hour on a stale state.
  if (rtc.lastOpen != UNKNOWN && (digitalRead(REED_PIN) == HIGH) != (rtc.lastOpen == 1)) {
    saveRtc();
    ESP.deepSleep(1, WAKE_RF_DEFAULT);  // restart at once and report the new state
  }
  sleepAnHour();
}

void loop() {}
