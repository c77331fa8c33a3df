// The request cases of llhttp's test suite (nodejs/llhttp, test/request/*.md), rewritten as data:
// each keeps its file, its heading and its input in llhttp's notation (see llhttp-case-input.ts).
// Only the inputs are kept; what each parser makes of them is decided by running them. Cases
// whose input repeats an earlier one (llhttp runs the same input in several modes) are kept once.
//
// The inputs are derived from llhttp's tests, under this licence:
//
// Copyright Fedor Indutny, 2018.
//
// Permission is hereby granted, free of charge, to any person obtaining a
// copy of this software and associated documentation files (the
// "Software"), to deal in the Software without restriction, including
// without limitation the rights to use, copy, modify, merge, publish,
// distribute, sublicense, and/or sell copies of the Software, and to permit
// persons to whom the Software is furnished to do so, subject to the
// following conditions:
//
// The above copyright notice and this permission notice shall be included
// in all copies or substantial portions of the Software.
//
// THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS
// OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF
// MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN
// NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
// DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
// OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
// USE OR OTHER DEALINGS IN THE SOFTWARE.

import { block, type LlhttpCase } from './llhttp-case-input.ts';

function req(file: string, title: string, http: string): LlhttpCase {
  return { file: `request/${file}`, title, role: 'request', http };
}

const CERT_LINES = [
  'MIIFbTCCBFWgAwIBAgICH4cwDQYJKoZIhvcNAQEFBQAwcDELMAkGA1UEBhMCVUsx',
  'ETAPBgNVBAoTCGVTY2llbmNlMRIwEAYDVQQLEwlBdXRob3JpdHkxCzAJBgNVBAMT',
  'AkNBMS0wKwYJKoZIhvcNAQkBFh5jYS1vcGVyYXRvckBncmlkLXN1cHBvcnQuYWMu',
  'dWswHhcNMDYwNzI3MTQxMzI4WhcNMDcwNzI3MTQxMzI4WjBbMQswCQYDVQQGEwJV',
  'SzERMA8GA1UEChMIZVNjaWVuY2UxEzARBgNVBAsTCk1hbmNoZXN0ZXIxCzAJBgNV',
  'BAcTmrsogriqMWLAk1DMRcwFQYDVQQDEw5taWNoYWVsIHBhcmQYJKoZIhvcNAQEB',
  'BQADggEPADCCAQoCggEBANPEQBgl1IaKdSS1TbhF3hEXSl72G9J+WC/1R64fAcEF',
  'W51rEyFYiIeZGx/BVzwXbeBoNUK41OK65sxGuflMo5gLflbwJtHBRIEKAfVVp3YR',
  'gW7cMA/s/XKgL1GEC7rQw8lIZT8RApukCGqOVHSi/F1SiFlPDxuDfmdiNzL31+sL',
  '0iwHDdNkGjy5pyBSB8Y79dsSJtCW/iaLB0/n8Sj7HgvvZJ7x0fr+RQjYOUUfrePP',
  'u2MSpFyf+9BbC/aXgaZuiCvSR+8Snv3xApQY+fULK/xY8h8Ua51iXoQ5jrgu2SqR',
  'wgA7BUi3G8LFzMBl8FRCDYGUDy7M6QaHXx1ZWIPWNKsCAwEAAaOCAiQwggIgMAwG',
  'A1UdEwEB/wQCMAAwEQYJYIZIAYb4QgHTTPAQDAgWgMA4GA1UdDwEB/wQEAwID6DAs',
  'BglghkgBhvhCAQ0EHxYdVUsgZS1TY2llbmNlIFVzZXIgQ2VydGlmaWNhdGUwHQYD',
  'VR0OBBYEFDTt/sf9PeMaZDHkUIldrDYMNTBZMIGaBgNVHSMEgZIwgY+AFAI4qxGj',
  'loCLDdMVKwiljjDastqooXSkcjBwMQswCQYDVQQGEwJVSzERMA8GA1UEChMIZVNj',
  'aWVuY2UxEjAQBgNVBAsTCUF1dGhvcml0eTELMAkGA1UEAxMCQ0ExLTArBgkqhkiG',
  '9w0BCQEWHmNhLW9wZXJhdG9yQGdyaWQtc3VwcG9ydC5hYy51a4IBADApBgNVHRIE',
  'IjAggR5jYS1vcGVyYXRvckBncmlkLXN1cHBvcnQuYWMudWswGQYDVR0gBBIwEDAO',
  'BgwrBgEEAdkvAQEBAQYwPQYJYIZIAYb4QgEEBDAWLmh0dHA6Ly9jYS5ncmlkLXN1',
  'cHBvcnQuYWMudmT4sopwqlBWsvcHViL2NybC9jYWNybC5jcmwwPQYJYIZIAYb4QgEDBDAWLmh0',
  'dHA6Ly9jYS5ncmlkLXN1cHBvcnQuYWMudWsvcHViL2NybC9jYWNybC5jcmwwPwYD',
  'VR0fBDgwNjA0oDKgMIYuaHR0cDovL2NhLmdyaWQt5hYy51ay9wdWIv',
  'Y3JsL2NhY3JsLmNybDANBgkqhkiG9w0BAQUFAAOCAQEAS/U4iiooBENGW/Hwmmd3',
  'XCy6Zrt08YjKCzGNjorT98g8uGsqYjSxv/hmi0qlnlHs+k/3Iobc3LjS5AMYr5L8',
  'UO7OSkgFFlLHQyC9JzPfmLCAugvzEbyv4Olnsr8hbxF1MbKZoQxUZtMVu29wjfXk',
  'hTeApBv7eaKCWpSp7MCbvgzm74izKhu3vlDk9w6qVrxePfGgpKPqfHiOoGhFnbTK',
  'wTC6o2xq5y0qZ03JonF7OJspEd3I5zKY3E+ov7/ZhW6DqT8UFvsAdjvQbXyhV8Eu',
  'Yhixw1aKEPzNjNowuIseVogKOLXxWI5vAi5HgXdS0/ES5gDGsABo4fqovUKlgop3',
  'RA==',
  '-----END CERTIFICATE-----',
];

/** llhttp's request cases. */
export const LLHTTP_REQUEST_CASES: readonly LlhttpCase[] = [
  // --- sample.md ---
  req(
    'sample.md',
    'Simple request',
    block`OPTIONS /url HTTP/1.1
Header1: Value1
Header2:\t Value2


`,
  ),
  req(
    'sample.md',
    'Request with method starting with `H`',
    block`HEAD /url HTTP/1.1


`,
  ),
  req(
    'sample.md',
    'curl GET',
    block`GET /test HTTP/1.1
User-Agent: curl/7.18.0 (i486-pc-linux-gnu) libcurl/7.18.0 OpenSSL/0.9.8g zlib/1.2.3.3 libidn/1.1
Host: 0.0.0.0=5000
Accept: */*


`,
  ),
  req(
    'sample.md',
    'Firefox GET',
    block`GET /favicon.ico HTTP/1.1
Host: 0.0.0.0=5000
User-Agent: Mozilla/5.0 (X11; U; Linux i686; en-US; rv:1.9) Gecko/2008061015 Firefox/3.0
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8
Accept-Language: en-us,en;q=0.5
Accept-Encoding: gzip,deflate
Accept-Charset: ISO-8859-1,utf-8;q=0.7,*;q=0.7
Keep-Alive: 300
Connection: keep-alive


`,
  ),
  req(
    'sample.md',
    'DUMBPACK',
    block`GET /dumbpack HTTP/1.1
aaaaaaaaaaaaa:++++++++++


`,
  ),
  req(
    'sample.md',
    'No headers and no body',
    block`GET /get_no_headers_no_body/world HTTP/1.1


`,
  ),
  req(
    'sample.md',
    'One header and no body',
    block`GET /get_one_header_no_body HTTP/1.1
Accept: */*


`,
  ),
  req(
    'sample.md',
    'Apache bench GET',
    block`GET /test HTTP/1.0
Host: 0.0.0.0:5000
User-Agent: ApacheBench/2.3
Accept: */*


`,
  ),
  req(
    'sample.md',
    'Prefix newline',
    block`\r\nGET /test HTTP/1.1


`,
  ),
  req(
    'sample.md',
    'No HTTP version',
    block`GET /


`,
  ),
  req(
    'sample.md',
    'Line folding in header value with CRLF',
    block`GET / HTTP/1.1
Line1:   abc
\tdef
 ghi
\t\tjkl
  mno 
\t \tqrs
Line2: \t line2\t
Line3:
 line3
Line4: 
 
Connection:
 close


`,
  ),
  req(
    'sample.md',
    'Line folding in header value with LF',
    block`GET / HTTP/1.1\n\
Line1:   abc\n\
\tdef\n\
 ghi\n\
\t\tjkl\n\
  mno \n\
\t \tqrs\n\
Line2: \t line2\t\n\
Line3:\n\
 line3\n\
Line4: \n\
 \n\
Connection:\n\
 close\n\
\n
`,
  ),
  req(
    'sample.md',
    'Request starting with CRLF',
    block`\r\nGET /url HTTP/1.1
Header1: Value1


`,
  ),
  req(
    'sample.md',
    'Extended Characters',
    block`GET / HTTP/1.1
Test: Düsseldorf


`,
  ),
  req(
    'sample.md',
    '255 ASCII in header value',
    block`OPTIONS /url HTTP/1.1
Header1: Value1
Header2: \xffValue2


`,
  ),
  req(
    'sample.md',
    'X-SSL-Nonsense',
    `GET / HTTP/1.1\nX-SSL-Nonsense:   -----BEGIN CERTIFICATE-----\n${CERT_LINES.map((l) => `\\t${l}\n`).join('')}\n\n`,
  ),

  // --- connection.md ---
  req(
    'connection.md',
    '`keep-alive`: Setting flag',
    block`PUT /url HTTP/1.1
Connection: keep-alive


`,
  ),
  req(
    'connection.md',
    'Restarting when keep-alive is explicitly',
    block`PUT /url HTTP/1.1
Connection: keep-alive

PUT /url HTTP/1.1
Connection: keep-alive


`,
  ),
  req(
    'connection.md',
    'No restart when keep-alive is off (1.0) and parser is in strict mode',
    block`PUT /url HTTP/1.0

PUT /url HTTP/1.1


`,
  ),
  req(
    'connection.md',
    'Resetting flags when keep-alive is off (1.0) and parser is in loose mode',
    block`PUT /url HTTP/1.0
Content-Length: 0

PUT /url HTTP/1.1
Transfer-Encoding: chunked


`,
  ),
  req(
    'connection.md',
    'CRLF between requests, implicit `keep-alive`',
    block`POST / HTTP/1.1
Host: www.example.com
Content-Type: application/x-www-form-urlencoded
Content-Length: 4

q=42

GET / HTTP/1.1
`,
  ),
  req(
    'connection.md',
    '`close`: Setting flag on `close`',
    block`PUT /url HTTP/1.1
Connection: close


`,
  ),
  req(
    'connection.md',
    'CRLF between requests, explicit `close` (strict and loose mode)',
    block`POST / HTTP/1.1
Host: www.example.com
Content-Type: application/x-www-form-urlencoded
Content-Length: 4
Connection: close

q=42

GET / HTTP/1.1
`,
  ),
  req(
    'connection.md',
    'Parsing multiple tokens: Sample',
    block`PUT /url HTTP/1.1
Connection: close, token, upgrade, token, keep-alive


`,
  ),
  req(
    'connection.md',
    'Multiple tokens with folding',
    block`GET /demo HTTP/1.1
Host: example.com
Connection: Something,
 Upgrade, ,Keep-Alive
Sec-WebSocket-Key2: 12998 5 Y3 1  .P00
Sec-WebSocket-Protocol: sample
Upgrade: WebSocket
Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5
Origin: http://example.com

Hot diggity dogg
`,
  ),
  req(
    'connection.md',
    'Multiple tokens with folding and LWS',
    block`GET /demo HTTP/1.1
Connection: keep-alive, upgrade
Upgrade: WebSocket

Hot diggity dogg
`,
  ),
  req(
    'connection.md',
    'Multiple tokens with folding, LWS, and CRLF',
    block`GET /demo HTTP/1.1
Connection: keep-alive, \r\n upgrade
Upgrade: WebSocket

Hot diggity dogg
`,
  ),
  req(
    'connection.md',
    '`upgrade`: Setting a flag and pausing',
    block`PUT /url HTTP/1.1
Connection: upgrade
Upgrade: ws


`,
  ),
  req(
    'connection.md',
    'Emitting part of body and pausing',
    block`PUT /url HTTP/1.1
Connection: upgrade
Content-Length: 4
Upgrade: ws

abcdefgh
`,
  ),
  req(
    'connection.md',
    'Upgrade GET request',
    block`GET /demo HTTP/1.1
Host: example.com
Connection: Upgrade
Sec-WebSocket-Key2: 12998 5 Y3 1  .P00
Sec-WebSocket-Protocol: sample
Upgrade: WebSocket
Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5
Origin: http://example.com

Hot diggity dogg
`,
  ),
  req(
    'connection.md',
    'Upgrade POST request',
    block`POST /demo HTTP/1.1
Host: example.com
Connection: Upgrade
Upgrade: HTTP/2.0
Content-Length: 15

sweet post body\
Hot diggity dogg
`,
  ),

  // --- content-length.md ---
  req(
    'content-length.md',
    '`Content-Length` with zeroes',
    block`PUT /url HTTP/1.1
Content-Length: 003

abc
`,
  ),
  req(
    'content-length.md',
    '`Content-Length` with follow-up headers',
    block`PUT /url HTTP/1.1
Content-Length: 003
Ohai: world

abc
`,
  ),
  req(
    'content-length.md',
    'Error on `Content-Length` overflow',
    block`PUT /url HTTP/1.1
Content-Length: 1000000000000000000000

`,
  ),
  req(
    'content-length.md',
    'Error on duplicate `Content-Length`',
    block`PUT /url HTTP/1.1
Content-Length: 1
Content-Length: 2

`,
  ),
  req(
    'content-length.md',
    'Error on simultaneous `Content-Length` and `Transfer-Encoding: identity`',
    block`PUT /url HTTP/1.1
Content-Length: 1
Transfer-Encoding: identity


`,
  ),
  req(
    'content-length.md',
    'No error on simultaneous `Content-Length` and `Transfer-Encoding: identity` (lenient)',
    block`PUT /url HTTP/1.1
Content-Length: 1
Transfer-Encoding: chunked


`,
  ),
  req(
    'content-length.md',
    'Funky `Content-Length` with body',
    block`GET /get_funky_content_length_body_hello HTTP/1.0
conTENT-Length: 5

HELLO
`,
  ),
  req(
    'content-length.md',
    'Spaces in `Content-Length` (surrounding)',
    block`POST / HTTP/1.1
Content-Length:  42 


`,
  ),
  req(
    'content-length.md',
    'Spaces in `Content-Length` #2',
    block`POST / HTTP/1.1
Content-Length: 4 2


`,
  ),
  req(
    'content-length.md',
    'Spaces in `Content-Length` #3',
    block`POST / HTTP/1.1
Content-Length: 13 37


`,
  ),
  req(
    'content-length.md',
    'Empty `Content-Length`',
    block`POST / HTTP/1.1
Content-Length:


`,
  ),
  req(
    'content-length.md',
    '`Content-Length` with CR instead of dash',
    block`PUT /url HTTP/1.1
Content\rLength: 003

abc
`,
  ),

  // --- transfer-encoding.md ---
  req(
    'transfer-encoding.md',
    'Empty `Transfer-Encoding` with `Content-Length`',
    block`POST /first HTTP/1.1
Transfer-Encoding:
Content-Length: 5

hello
`,
  ),
  req(
    'transfer-encoding.md',
    '`chunked`: Parsing and setting flag',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked


`,
  ),
  req(
    'transfer-encoding.md',
    'Parse chunks with lowercase size',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked

a
0123456789
0


`,
  ),
  req(
    'transfer-encoding.md',
    'Parse chunks with uppercase size',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked

A
0123456789
0


`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `Transfer-Encoding: chunked`',
    block`POST /post_chunked_all_your_base HTTP/1.1
Transfer-Encoding: chunked

1e
all your base are belong to us
0


`,
  ),
  req(
    'transfer-encoding.md',
    'Two chunks and triple zero prefixed end chunk',
    block`POST /two_chunks_mult_zero_end HTTP/1.1
Transfer-Encoding: chunked

5
hello
6
 world
000


`,
  ),
  req(
    'transfer-encoding.md',
    'Trailing headers',
    block`POST /chunked_w_trailing_headers HTTP/1.1
Transfer-Encoding: chunked

5
hello
6
 world
0
Vary: *
Content-Type: text/plain


`,
  ),
  req(
    'transfer-encoding.md',
    'Chunk extensions',
    block`POST /chunked_w_unicorns_after_length HTTP/1.1
Transfer-Encoding: chunked

5;ilovew3;somuchlove=aretheseparametersfor;another=withvalue
hello
6;blahblah;blah
 world
0

`,
  ),
  req(
    'transfer-encoding.md',
    'No semicolon before chunk extensions',
    block`POST /chunked_w_unicorns_after_length HTTP/1.1
Host: localhost
Transfer-encoding: chunked

2 erfrferferf
aa
0 rrrr


`,
  ),
  req(
    'transfer-encoding.md',
    'No extension after semicolon',
    block`POST /chunked_w_unicorns_after_length HTTP/1.1
Host: localhost
Transfer-encoding: chunked

2;
aa
0


`,
  ),
  req(
    'transfer-encoding.md',
    'Chunk extensions quoting',
    block`POST /chunked_w_unicorns_after_length HTTP/1.1
Transfer-Encoding: chunked

5;ilovew3="I \"love\"; \\extensions\\";somuchlove="aretheseparametersfor";blah;foo=bar
hello
6;blahblah;blah
 world
0

`,
  ),
  req(
    'transfer-encoding.md',
    'Unbalanced chunk extensions quoting',
    block`POST /chunked_w_unicorns_after_length HTTP/1.1
Transfer-Encoding: chunked

5;ilovew3="abc";somuchlove="def; ghi
hello
6;blahblah;blah
 world
0

`,
  ),
  req(
    'transfer-encoding.md',
    'Ignoring `pigeons`',
    block`PUT /url HTTP/1.1
Transfer-Encoding: pigeons


`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `Transfer-Encoding` and `Content-Length`',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: identity
Content-Length: 5

World
`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `Transfer-Encoding` and `Content-Length` (lenient)',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: identity
Content-Length: 1

World
`,
  ),
  req(
    'transfer-encoding.md',
    'POST with empty `Transfer-Encoding` and `Content-Length` (lenient)',
    block`POST / HTTP/1.1
Host: foo
Content-Length: 10
Transfer-Encoding:
Transfer-Encoding:
Transfer-Encoding:

2
AA
0
`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `chunked` before other transfer coding names',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: chunked, deflate

World
`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `chunked` and duplicate transfer-encoding',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: chunked
Transfer-Encoding: deflate

World
`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `chunked` as last transfer-encoding',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: deflate, chunked

5
World
0


`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `chunked` as last transfer-encoding (multiple headers)',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: deflate
Transfer-Encoding: chunked

5
World
0


`,
  ),
  req(
    'transfer-encoding.md',
    'POST with `chunkedchunked` as transfer-encoding',
    block`POST /post_identity_body_world?q=search#hey HTTP/1.1
Accept: */*
Transfer-Encoding: chunkedchunked

5
World
0


`,
  ),
  req(
    'transfer-encoding.md',
    'Missing last-chunk',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked

3
foo


`,
  ),
  req(
    'transfer-encoding.md',
    'Validate chunk parameters',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked

3 \n  \r\n\
foo


`,
  ),
  req(
    'transfer-encoding.md',
    'Invalid OBS fold after chunked value',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked
  abc

5
World
0


`,
  ),
  req(
    'transfer-encoding.md',
    'Chunk header not terminated by CRLF',
    block`GET / HTTP/1.1
Host: a
Connection: close 
Transfer-Encoding: chunked 

5\r\r;ABCD
34
E
0

GET / HTTP/1.1 
Host: a
Content-Length: 5

0

`,
  ),
  req(
    'transfer-encoding.md',
    'Chunk header not terminated by CRLF (lenient)',
    block`GET / HTTP/1.1
Host: a
Connection: close 
Transfer-Encoding: chunked 

6\r\r;ABCD
33
E
0

GET / HTTP/1.1 
Host: a
Content-Length: 5
0


`,
  ),
  req(
    'transfer-encoding.md',
    'Chunk data not terminated by CRLF',
    block`GET / HTTP/1.1
Host: a
Connection: close 
Transfer-Encoding: chunked 

5
ABCDE0

`,
  ),
  req(
    'transfer-encoding.md',
    'Space after chunk header',
    block`PUT /url HTTP/1.1
Transfer-Encoding: chunked

a \r\n0123456789
0


`,
  ),

  // --- invalid.md ---
  req(
    'invalid.md',
    'ICE protocol and GET method',
    block`GET /music/sweet/music ICE/1.0
Host: example.com


`,
  ),
  req(
    'invalid.md',
    'ICE protocol, but not really',
    block`GET /music/sweet/music IHTTP/1.0
Host: example.com


`,
  ),
  req(
    'invalid.md',
    'RTSP protocol and PUT method',
    block`PUT /music/sweet/music RTSP/1.0
Host: example.com


`,
  ),
  req(
    'invalid.md',
    'HTTP protocol and ANNOUNCE method',
    block`ANNOUNCE /music/sweet/music HTTP/1.0
Host: example.com


`,
  ),
  req(
    'invalid.md',
    'Headers separated by CR',
    block`GET / HTTP/1.1
Foo: 1\rBar: 2


`,
  ),
  req(
    'invalid.md',
    'Headers separated by LF',
    block`POST / HTTP/1.1
Host: localhost:5000
x:x\nTransfer-Encoding: chunked

1
A
0

`,
  ),
  req(
    'invalid.md',
    'Headers separated by dummy characters',
    block`GET / HTTP/1.1
Connection: close
Host: a
\rZGET /evil: HTTP/1.1
Host: a

`,
  ),
  req(
    'invalid.md',
    'Empty headers separated by CR',
    block`POST / HTTP/1.1
Connection: Close
Host: localhost:5000
x:\rTransfer-Encoding: chunked

1
A
0

`,
  ),
  req(
    'invalid.md',
    'Empty headers separated by LF',
    block`POST / HTTP/1.1
Host: localhost:5000
x:\nTransfer-Encoding: chunked

1
A
0

`,
  ),
  req(
    'invalid.md',
    'Invalid header token #1',
    block`GET / HTTP/1.1
Fo@: Failure


`,
  ),
  req(
    'invalid.md',
    'Invalid header token #2',
    block`GET / HTTP/1.1
Foo\01\test: Bar


`,
  ),
  req(
    'invalid.md',
    'Invalid header token #3',
    block`GET / HTTP/1.1
: Bar


`,
  ),
  req(
    'invalid.md',
    'Invalid method',
    block`MKCOLA / HTTP/1.1


`,
  ),
  req(
    'invalid.md',
    'Illegal header field name line folding',
    block`GET / HTTP/1.1
name
 : value


`,
  ),
  req(
    'invalid.md',
    'Corrupted Connection header',
    block`GET / HTTP/1.1
Host: www.example.com
Connection\r\033\065\325eep-Alive
Accept-Encoding: gzip


`,
  ),
  req(
    'invalid.md',
    'Corrupted header name',
    block`GET / HTTP/1.1
Host: www.example.com
X-Some-Header\r\033\065\325eep-Alive
Accept-Encoding: gzip


`,
  ),
  req(
    'invalid.md',
    'Missing CR between headers',
    block`GET / HTTP/1.1
Host: localhost
Dummy: x\nContent-Length: 23

GET / HTTP/1.1
Dummy: GET /admin HTTP/1.1
Host: localhost


`,
  ),
  req(
    'invalid.md',
    'Invalid HTTP version',
    block`GET / HTTP/5.6
`,
  ),
  req(
    'invalid.md',
    'Invalid space after start line',
    block`GET / HTTP/1.1
 Host: foo
`,
  ),
  req(
    'invalid.md',
    'Only LFs present',
    block`POST / HTTP/1.1\n\
Transfer-Encoding: chunked\n\
Trailer: Baz
Foo: abc\n\
Bar: def\n\
\n\
1\n\
A\n\
1;abc\n\
B\n\
1;def=ghi\n\
C\n\
1;jkl="mno"\n\
D\n\
0\n\
\n\
Baz: ghi\n\
\n\
`,
  ),
  req(
    'invalid.md',
    'Only LFs present (lenient)',
    block`POST / HTTP/1.1\n\
Transfer-Encoding: chunked\n\
Trailer: Baz
Foo: abc\n\
Bar: def\n\
\n\
1\n\
A\n\
1;abc\n\
B\n\
1;def=ghi\n\
C\n\
1;jkl="mno"\n\
D\n\
0\n\
\n\
Baz: ghi\n\
\n
`,
  ),
  req(
    'invalid.md',
    'Spaces before headers',
    block`POST /hello HTTP/1.1
Host: localhost
Foo: bar
 Content-Length: 38

GET /bye HTTP/1.1
Host: localhost


`,
  ),

  // --- finish.md ---
  req(
    'finish.md',
    'It should be safe to finish after GET request',
    block`GET / HTTP/1.1


`,
  ),
  req(
    'finish.md',
    'It should be unsafe to finish after incomplete PUT request',
    block`PUT / HTTP/1.1
Content-Length: 100

`,
  ),
  req(
    'finish.md',
    'It should be unsafe to finish inside of the header',
    block`PUT / HTTP/1.1
Content-Leng
`,
  ),

  // --- lenient-headers.md (lenient.md holds the same inputs) ---
  req(
    'lenient-headers.md',
    'Header value with lenient',
    block`GET /url HTTP/1.1
Header1: \f


`,
  ),
  req(
    'lenient-headers.md',
    'Second request header value with lenient',
    block`GET /url HTTP/1.1
Header1: Okay


GET /url HTTP/1.1
Header1: \f


`,
  ),
  req(
    'lenient-headers.md',
    'Header value without lenient',
    block`GET /url HTTP/1.1
Header1: \f



`,
  ),

  // --- lenient-header-value-relaxed.md ---
  req(
    'lenient-header-value-relaxed.md',
    'Control char in header value (relaxed and strict)',
    block`GET /url HTTP/1.1
Header1: hello\fworld


`,
  ),
  req(
    'lenient-header-value-relaxed.md',
    'CR without LF in header value should be rejected even with relaxed flag',
    block`POST / HTTP/1.1
Host: localhost:5000
x:\rTransfer-Encoding: chunked

1
A
0

`,
  ),
  req(
    'lenient-header-value-relaxed.md',
    'Space after start line must still fail',
    block`GET /url HTTP/1.1
 Header1: value

`,
  ),

  // --- lenient-host-header.md ---
  req(
    'lenient-host-header.md',
    'multiple host headers (relaxed)',
    block`GET / HTTP/1.1
host: www.python.org
host: llhttp.org


`,
  ),
  req(
    'lenient-host-header.md',
    'Invalid Hosts (strict)',
    block`GET /url HTTP/1.1
host: www.python.org
host: llhttp.org


`,
  ),

  // --- lenient-version.md ---
  req(
    'lenient-version.md',
    'Invalid HTTP version with lenient',
    block`GET / HTTP/5.6


`,
  ),

  // --- method.md ---
  req(
    'method.md',
    'REPORT request',
    block`REPORT /test HTTP/1.1


`,
  ),
  req(
    'method.md',
    'CONNECT request',
    block`CONNECT 0-home0.netscape.com:443 HTTP/1.0
User-agent: Mozilla/1.1N
Proxy-authorization: basic aGVsbG86d29ybGQ=

some data
and yet even more data
`,
  ),
  req(
    'method.md',
    'CONNECT request with CAPS',
    block`CONNECT HOME0.NETSCAPE.COM:443 HTTP/1.0
User-agent: Mozilla/1.1N
Proxy-authorization: basic aGVsbG86d29ybGQ=


`,
  ),
  req(
    'method.md',
    'CONNECT with body',
    block`CONNECT foo.bar.com:443 HTTP/1.0
User-agent: Mozilla/1.1N
Proxy-authorization: basic aGVsbG86d29ybGQ=
Content-Length: 10

blarfcicle"
`,
  ),
  req(
    'method.md',
    'M-SEARCH request',
    block`M-SEARCH * HTTP/1.1
HOST: 239.255.255.250:1900
MAN: "ssdp:discover"
ST: "ssdp:all"


`,
  ),
  req(
    'method.md',
    'PATCH request',
    block`PATCH /file.txt HTTP/1.1
Host: www.example.com
Content-Type: application/example
If-Match: "e0023aa4e"
Content-Length: 10

cccccccccc
`,
  ),
  req(
    'method.md',
    'PURGE request',
    block`PURGE /file.txt HTTP/1.1
Host: www.example.com


`,
  ),
  req(
    'method.md',
    'SEARCH request',
    block`SEARCH / HTTP/1.1
Host: www.example.com


`,
  ),
  req(
    'method.md',
    'LINK request',
    block`LINK /images/my_dog.jpg HTTP/1.1
Host: example.com
Link: <http://example.com/profiles/joe>; rel="tag"
Link: <http://example.com/profiles/sally>; rel="tag"


`,
  ),
  req(
    'method.md',
    'LINK request (UNLINK)',
    block`UNLINK /images/my_dog.jpg HTTP/1.1
Host: example.com
Link: <http://example.com/profiles/sally>; rel="tag"


`,
  ),
  req(
    'method.md',
    'SOURCE request',
    block`SOURCE /music/sweet/music HTTP/1.1
Host: example.com


`,
  ),

  // --- uri.md ---
  req(
    'uri.md',
    'Quotes in URI',
    block`GET /with_"lovely"_quotes?foo=\"bar\" HTTP/1.1


`,
  ),
  req(
    'uri.md',
    'Query URL with question mark',
    block`GET /test.cgi?foo=bar?baz HTTP/1.1


`,
  ),
  req(
    'uri.md',
    'Host terminated by a query string',
    block`GET http://hypnotoad.org?hail=all HTTP/1.1\r\n


`,
  ),
  req(
    'uri.md',
    '`host:port` terminated by a query string',
    block`GET http://hypnotoad.org:1234?hail=all HTTP/1.1


`,
  ),
  req(
    'uri.md',
    'Query URL with vertical bar character',
    block`GET /test.cgi?query=| HTTP/1.1


`,
  ),
  req(
    'uri.md',
    '`host:port` terminated by a space',
    block`GET http://hypnotoad.org:1234 HTTP/1.1


`,
  ),
  req(
    'uri.md',
    'Disallow UTF-8 in URI path in strict mode',
    block`GET /δ¶/δt/pope?q=1#narf HTTP/1.1
Host: github.com


`,
  ),
  req(
    'uri.md',
    'Fragment in URI',
    block`GET /forums/1/topics/2375?page=1#posts-17408 HTTP/1.1


`,
  ),
  req(
    'uri.md',
    'Underscore in hostname',
    block`CONNECT home_0.netscape.com:443 HTTP/1.0
User-agent: Mozilla/1.1N
Proxy-authorization: basic aGVsbG86d29ybGQ=


`,
  ),
  req(
    'uri.md',
    '`host:port` and basic auth',
    block`GET http://a%12:b!&*$@hypnotoad.org:1234/toto HTTP/1.1


`,
  ),
  req(
    'uri.md',
    'Space in URI',
    block`GET /foo bar/ HTTP/1.1


`,
  ),

  // --- pipelining.md ---
  req(
    'pipelining.md',
    'Should parse multiple events',
    block`POST /aaa HTTP/1.1
Content-Length: 3

AAA
PUT /bbb HTTP/1.1
Content-Length: 4

BBBB
PATCH /ccc HTTP/1.1
Content-Length: 5

CCCC
`,
  ),

  // --- pausing.md (one input per body framing; the cases differ only in where llhttp pauses) ---
  req(
    'pausing.md',
    'on_message_begin',
    block`POST / HTTP/1.1
Content-Length: 3

abc
`,
  ),
  req(
    'pausing.md',
    'on_chunk_header',
    block`PUT / HTTP/1.1
Transfer-Encoding: chunked

a
0123456789
0


`,
  ),
];
