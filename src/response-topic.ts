/** Where MQTT 5 responders answer a request (`POST /v1/request`): unique per request, so replies never cross. */
export const RESPONSE_TOPIC_PREFIX = 'postbridge/reply/'
