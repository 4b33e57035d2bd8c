package dev.sandman.http;

import java.util.function.UnaryOperator;

/** One request as the endpoints see it, its body already read whole: method, raw path and query, headers. */
record Call(String method, String rawPath, String rawQuery, UnaryOperator<String> headers, byte[] body) {
  String header(String name) {
    return headers.apply(name);
  }
}
