package dev.sandman.http;

import java.util.Map;
import java.util.function.UnaryOperator;

/** One request as the endpoints see it, its body already read whole: method, query parameters, headers, body. */
record Call(String method, Map<String, String> query, UnaryOperator<String> headers, byte[] body) {
  String header(String name) {
    return headers.apply(name);
  }
}
