// The response cases of llhttp's test suite (nodejs/llhttp, test/response/*.md), rewritten as
// data: each keeps its file, its heading and its input in llhttp's notation (see
// llhttp-case-input.ts). Only the inputs are kept; what each parser makes of them is decided by
// running them. Cases whose input repeats an earlier one are kept once.
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

function res(file: string, title: string, http: string): LlhttpCase {
  return { file: `response/${file}`, title, role: 'response', http };
}

/** llhttp's response cases. */
export const LLHTTP_RESPONSE_CASES: readonly LlhttpCase[] = [
  // --- sample.md ---
  res(
    'sample.md',
    'Simple response',
    block`HTTP/1.1 200 OK
Header1: Value1
Header2:\t Value2
Content-Length: 0


`,
  ),
  res(
    'sample.md',
    'RTSP response',
    block`RTSP/1.1 200 OK


`,
  ),
  res(
    'sample.md',
    'ICE response',
    block`ICE/1.1 200 OK


`,
  ),
  res(
    'sample.md',
    'Error on invalid response start',
    block`HTTPER/1.1 200 OK


`,
  ),
  res(
    'sample.md',
    'Empty body should not trigger spurious span callbacks',
    block`HTTP/1.1 200 OK


`,
  ),
  res(
    'sample.md',
    'Google 301',
    block`HTTP/1.1 301 Moved Permanently
Location: http://www.google.com/
Content-Type: text/html; charset=UTF-8
Date: Sun, 26 Apr 2009 11:11:49 GMT
Expires: Tue, 26 May 2009 11:11:49 GMT
X-$PrototypeBI-Version: 1.6.0.3
Cache-Control: public, max-age=2592000
Server: gws
Content-Length:  219  

<HTML><HEAD><meta http-equiv=content-type content=text/html;charset=utf-8>\n\
<TITLE>301 Moved</TITLE></HEAD><BODY>\n\
<H1>301 Moved</H1>\n\
The document has moved\n\
<A HREF="http://www.google.com/">here</A>.
</BODY></HTML>
`,
  ),
  res(
    'sample.md',
    'amazon.com',
    block`HTTP/1.1 301 MovedPermanently
Date: Wed, 15 May 2013 17:06:33 GMT
Server: Server
x-amz-id-1: 0GPHKXSJQ826RK7GZEB2
p3p: policyref="http://www.amazon.com/w3c/p3p.xml",CP="CAO DSP LAW CUR ADM IVAo IVDo CONo OTPo OUR DELi PUBi OTRi BUS PHY ONL UNI PUR FIN COM NAV INT DEM CNT STA HEA PRE LOC GOV OTC "
x-amz-id-2: STN69VZxIFSz9YJLbz1GDbxpbjG6Qjmmq5E3DxRhOUw+Et0p4hr7c/Q8qNcx4oAD
Location: http://www.amazon.com/Dan-Brown/e/B000AP9DSU/ref=s9_pop_gw_al1?_encoding=UTF8&refinementId=618073011&pf_rd_m=ATVPDKIKX0DER&pf_rd_s=center-2&pf_rd_r=0SHYY5BZXN3KR20BNFAY&pf_rd_t=101&pf_rd_p=1263340922&pf_rd_i=507846
Vary: Accept-Encoding,User-Agent
Content-Type: text/html; charset=ISO-8859-1
Transfer-Encoding: chunked

1
\n
0


`,
  ),
  res(
    'sample.md',
    'No headers and no body',
    block`HTTP/1.1 404 Not Found


`,
  ),
  res(
    'sample.md',
    'No reason phrase',
    block`HTTP/1.1 301


`,
  ),
  res(
    'sample.md',
    'Empty reason phrase after space',
    block`HTTP/1.1 200 \r\n\


`,
  ),
  res(
    'sample.md',
    'No carriage ret (strict and lenient)',
    block`HTTP/1.1 200 OK\n\
Content-Type: text/html; charset=utf-8\n\
Connection: close\n\
\n\
these headers are from http://news.ycombinator.com/
`,
  ),
  res(
    'sample.md',
    'Underscore in header key',
    block`HTTP/1.1 200 OK
Server: DCLK-AdSvr
Content-Type: text/xml
Content-Length: 0
DCLK_imp: v7;x;114750856;0-0;0;17820020;0/0;21603567/21621457/1;;~okv=;dcmt=text/xml;;~cs=o


`,
  ),
  res(
    'sample.md',
    'bonjourmadame.fr',
    block`HTTP/1.0 301 Moved Permanently
Date: Thu, 03 Jun 2010 09:56:32 GMT
Server: Apache/2.2.3 (Red Hat)
Cache-Control: public
Pragma: \r\n\
Location: http://www.bonjourmadame.fr/
Vary: Accept-Encoding
Content-Length: 0
Content-Type: text/html; charset=UTF-8
Connection: keep-alive


`,
  ),
  res(
    'sample.md',
    'Spaces in header value',
    block`HTTP/1.1 200 OK
Date: Tue, 28 Sep 2010 01:14:13 GMT
Server: Apache
Cache-Control: no-cache, must-revalidate
Expires: Mon, 26 Jul 1997 05:00:00 GMT
.et-Cookie: PlaxoCS=1274804622353690521; path=/; domain=.plaxo.com
Vary: Accept-Encoding
_eep-Alive: timeout=45
_onnection: Keep-Alive
Transfer-Encoding: chunked
Content-Type: text/html
Connection: close

0


`,
  ),
  res(
    'sample.md',
    'Spaces in header name',
    block`HTTP/1.1 200 OK
Server: Microsoft-IIS/6.0
X-Powered-By: ASP.NET
en-US Content-Type: text/xml
Content-Type: text/xml
Content-Length: 16
Date: Fri, 23 Jul 2010 18:45:38 GMT
Connection: keep-alive

<xml>hello</xml>
`,
  ),
  res(
    'sample.md',
    'Non ASCII in status line',
    block`HTTP/1.1 500 Oriëntatieprobleem
Date: Fri, 5 Nov 2010 23:07:12 GMT+2
Content-Length: 0
Connection: close


`,
  ),
  res(
    'sample.md',
    'HTTP version 0.9',
    block`HTTP/0.9 200 OK


`,
  ),
  res(
    'sample.md',
    'No Content-Length, no Transfer-Encoding',
    block`HTTP/1.1 200 OK
Content-Type: text/plain

hello world
`,
  ),
  res(
    'sample.md',
    'Response starting with CRLF',
    block`\r\nHTTP/1.1 200 OK
Header1: Value1
Header2:\t Value2
Content-Length: 0


`,
  ),

  // --- connection.md ---
  res(
    'connection.md',
    'Proxy-Connection',
    block`HTTP/1.1 200 OK
Content-Type: text/html; charset=UTF-8
Content-Length: 11
Proxy-Connection: close
Date: Thu, 31 Dec 2009 20:55:48 +0000

hello world
`,
  ),
  res(
    'connection.md',
    'HTTP/1.0 with keep-alive and EOF-terminated 200 status',
    block`HTTP/1.0 200 OK
Connection: keep-alive

HTTP/1.0 200 OK
`,
  ),
  res(
    'connection.md',
    'HTTP/1.0 with keep-alive and 204 status',
    block`HTTP/1.0 204 No content
Connection: keep-alive

HTTP/1.0 200 OK
`,
  ),
  res(
    'connection.md',
    'HTTP/1.1 with EOF-terminated 200 status',
    block`HTTP/1.1 200 OK

HTTP/1.1 200 OK
`,
  ),
  res(
    'connection.md',
    'HTTP/1.1 with 204 status',
    block`HTTP/1.1 204 No content

HTTP/1.1 200 OK
`,
  ),
  res(
    'connection.md',
    'HTTP/1.1 with keep-alive disabled and 204 status (strict and lenient)',
    block`HTTP/1.1 204 No content
Connection: close

HTTP/1.1 200 OK
`,
  ),
  res(
    'connection.md',
    'HTTP/1.1 with keep-alive disabled, content-length (strict and lenient)',
    block`HTTP/1.1 200 No content
Content-Length: 5
Connection: close

2ad731e3-4dcd-4f70-b871-0ad284b29ffc
`,
  ),
  res(
    'connection.md',
    'HTTP 101 response with Upgrade and Content-Length header',
    block`HTTP/1.1 101 Switching Protocols
Connection: upgrade
Upgrade: h2c
Content-Length: 4

body\
proto
`,
  ),
  res(
    'connection.md',
    'HTTP 101 response with Upgrade and Transfer-Encoding header',
    block`HTTP/1.1 101 Switching Protocols
Connection: upgrade
Upgrade: h2c
Transfer-Encoding: chunked

2
bo
2
dy
0

proto
`,
  ),
  res(
    'connection.md',
    'HTTP 200 response with Upgrade header',
    block`HTTP/1.1 200 OK
Connection: upgrade
Upgrade: h2c

body
`,
  ),
  res(
    'connection.md',
    'HTTP 200 response with Upgrade header and Content-Length',
    block`HTTP/1.1 200 OK
Connection: upgrade
Upgrade: h2c
Content-Length: 4

body
`,
  ),
  res(
    'connection.md',
    'HTTP 200 response with Upgrade header and Transfer-Encoding',
    block`HTTP/1.1 200 OK
Connection: upgrade
Upgrade: h2c
Transfer-Encoding: chunked

2
bo
2
dy
0


`,
  ),

  // --- content-length.md ---
  res(
    'content-length.md',
    'Response without `Content-Length`, but with body',
    block`HTTP/1.1 200 OK
Date: Tue, 04 Aug 2009 07:59:32 GMT
Server: Apache
X-Powered-By: Servlet/2.5 JSP/2.1
Content-Type: text/xml; charset=utf-8
Connection: close

<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\">\n\
  <SOAP-ENV:Body>\n\
    <SOAP-ENV:Fault>\n\
       <faultcode>SOAP-ENV:Client</faultcode>\n\
       <faultstring>Client Error</faultstring>\n\
    </SOAP-ENV:Fault>\n\
  </SOAP-ENV:Body>\n\
</SOAP-ENV:Envelope>
`,
  ),
  res(
    'content-length.md',
    'Content-Length-X',
    block`HTTP/1.1 200 OK
Content-Length-X: 0
Transfer-Encoding: chunked

2
OK
0


`,
  ),
  res(
    'content-length.md',
    'Content-Length reset when no body is received',
    block`HTTP/1.1 200 OK
Content-Length: 123

HTTP/1.1 200 OK
Content-Length: 456


`,
  ),
  res(
    'content-length.md',
    'Tabs in `Content-Length` (surrounding)',
    block`HTTP/1.1 200 OK
Content-Length:\t42\t


`,
  ),

  // --- transfer-encoding.md ---
  res(
    'transfer-encoding.md',
    'Empty `Transfer-Encoding` with `Content-Length`',
    block`HTTP/1.1 200 OK
Transfer-Encoding:
Content-Length: 5

hello
`,
  ),
  res(
    'transfer-encoding.md',
    'Trailing space on chunked body',
    block`HTTP/1.1 200 OK
Content-Type: text/plain
Transfer-Encoding: chunked

25  \r\n\
This is the data in the first chunk

1C
and this is the second one

0  \r\n\


`,
  ),
  res(
    'transfer-encoding.md',
    '`chunked` before other transfer-encoding',
    block`HTTP/1.1 200 OK
Accept: */*
Transfer-Encoding: chunked, deflate

World
`,
  ),
  res(
    'transfer-encoding.md',
    'multiple transfer-encoding where chunked is not the last one',
    block`HTTP/1.1 200 OK
Accept: */*
Transfer-Encoding: chunked
Transfer-Encoding: identity

World
`,
  ),
  res(
    'transfer-encoding.md',
    '`chunkedchunked` transfer-encoding does not enable chunked enconding',
    block`HTTP/1.1 200 OK
Accept: */*
Transfer-Encoding: chunkedchunked

2
OK
0


`,
  ),
  res(
    'transfer-encoding.md',
    'Chunk extensions',
    block`HTTP/1.1 200 OK
Host: localhost
Transfer-encoding: chunked

5;ilovew3;somuchlove=aretheseparametersfor
hello
6;blahblah;blah
 world
0


`,
  ),
  res(
    'transfer-encoding.md',
    'No semicolon before chunk extensions',
    block`HTTP/1.1 200 OK
Host: localhost
Transfer-encoding: chunked

2 erfrferferf
aa
0 rrrr


`,
  ),
  res(
    'transfer-encoding.md',
    'No extension after semicolon',
    block`HTTP/1.1 200 OK
Host: localhost
Transfer-encoding: chunked

2;
aa
0


`,
  ),
  res(
    'transfer-encoding.md',
    'Chunk extensions quoting',
    block`HTTP/1.1 200 OK
Host: localhost
Transfer-Encoding: chunked

5;ilovew3="I love; extensions";somuchlove="aretheseparametersfor";blah;foo=bar
hello
6;blahblah;blah
 world
0

`,
  ),
  res(
    'transfer-encoding.md',
    'Unbalanced chunk extensions quoting',
    block`HTTP/1.1 200 OK
Host: localhost
Transfer-Encoding: chunked

5;ilovew3="abc";somuchlove="def; ghi
hello
6;blahblah;blah
 world
0

`,
  ),
  res(
    'transfer-encoding.md',
    'Invalid OBS fold after chunked value',
    block`HTTP/1.1 200 OK
Transfer-Encoding: chunked
  abc

5
World
0


`,
  ),

  // --- invalid.md ---
  res(
    'invalid.md',
    'Incomplete HTTP protocol',
    block`HTP/1.1 200 OK


`,
  ),
  res(
    'invalid.md',
    'Extra digit in HTTP major version',
    block`HTTP/01.1 200 OK


`,
  ),
  res(
    'invalid.md',
    'Extra digit in HTTP major version #2',
    block`HTTP/11.1 200 OK


`,
  ),
  res(
    'invalid.md',
    'Extra digit in HTTP minor version',
    block`HTTP/1.01 200 OK


`,
  ),
  res(
    'invalid.md',
    'Tab after HTTP version',
    block`HTTP/1.1\t200 OK


`,
  ),
  res(
    'invalid.md',
    'CR before response and tab after HTTP version',
    block`\rHTTP/1.1\t200 OK


`,
  ),
  res(
    'invalid.md',
    'Headers separated by CR',
    block`HTTP/1.1 200 OK
Foo: 1\rBar: 2


`,
  ),
  res(
    'invalid.md',
    'Invalid HTTP version',
    block`HTTP/5.6 200 OK


`,
  ),
  res(
    'invalid.md',
    'Invalid space after start line',
    block`HTTP/1.1 200 OK
 Host: foo
`,
  ),
  res(
    'invalid.md',
    'Extra space between HTTP version and status code',
    block`HTTP/1.1  200 OK


`,
  ),
  res(
    'invalid.md',
    'Extra space between status code and reason',
    block`HTTP/1.1 200  OK


`,
  ),
  res(
    'invalid.md',
    'One-digit status code',
    block`HTTP/1.1 2 OK


`,
  ),
  res(
    'invalid.md',
    'Only LFs present and no body (strict and lenient)',
    block`HTTP/1.1 200 OK\nContent-Length: 0\n\n
`,
  ),
  res(
    'invalid.md',
    'Only LFs present (strict and lenient)',
    block`HTTP/1.1 200 OK\n\
Foo: abc\n\
Bar: def\n\
\n\
BODY\n\
`,
  ),

  // --- finish.md ---
  res(
    'finish.md',
    'It should be safe to finish with cb after empty response',
    block`HTTP/1.1 200 OK


`,
  ),

  // --- lenient-version.md ---
  res(
    'lenient-version.md',
    'Invalid HTTP version with lenient',
    block`HTTP/5.6 200 OK


`,
  ),

  // --- pipelining.md ---
  res(
    'pipelining.md',
    'Should parse multiple events',
    block`HTTP/1.1 200 OK
Content-Length: 3

AAA
HTTP/1.1 201 Created
Content-Length: 4

BBBB
HTTP/1.1 202 Accepted
Content-Length: 5

CCCC
`,
  ),

  // --- pausing.md (one input per body framing; the cases differ only in where llhttp pauses) ---
  res(
    'pausing.md',
    'on_message_begin',
    block`HTTP/1.1 200 OK
Content-Length: 3

abc
`,
  ),
  res(
    'pausing.md',
    'on_chunk_header',
    block`HTTP/1.1 200 OK
Transfer-Encoding: chunked

a
0123456789
0


`,
  ),
];
