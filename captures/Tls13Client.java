// Tls13Client.java - a small TLS 1.3 client (Java's own TLS stack, JSSE) for
// make-captures.sh's tls13-encrypted-alert scenario.  Run as a single-file
// source program (Java 11+, no build step):
//
//   java Tls13Client.java --trust CA.pem --host NAME [--port 443] [--path /p] [--hold-ms N]
//
// Connects a plain TCP socket to NAME:PORT (resolved by the system resolver),
// layers TLS 1.3 only over it with NAME as server name (SNI) and the
// certificates of CA.pem as the only trusted roots, and completes the
// handshake.  Then it sends "GET PATH HTTP/1.1", reads the response (status
// line, headers, Content-Length body), prints the status line and closes
// (JSSE's TLS 1.3 close: user_canceled and close_notify alerts, then the TCP
// close).  Exit 0 for a 2xx answer, 3 for another.
//
// When JSSE rejects the server's certificate, it sends its fatal alert (in
// TLS 1.3 already under the handshake keys, so on the wire an encrypted
// record; JSSE pads every TLS 1.3 record with 16 zero bytes, so the record is
// 35 bytes long) and the handshake throws.  Without --hold-ms the TLS layer
// owns the TCP socket (autoClose) and closes it right after the alert; with
// --hold-ms N it is told not to close it (autoClose=false), the client waits
// N ms with the connection open - the server sees the alert and closes first
// - and only then closes the socket.  Prints "handshake failed: ..." and
// exits 2.  Anything else (usage, I/O): exit 1.

import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class Tls13Client {
    static String arg(String[] args, String name, String dflt) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return args[i + 1];
            }
        }
        if (dflt == null) {
            throw new IllegalArgumentException("missing " + name);
        }
        return dflt;
    }

    static SSLContext context(String pem) throws Exception {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        int n = 0;
        try (InputStream in = new FileInputStream(pem)) {
            for (Certificate c : cf.generateCertificates(in)) {
                ks.setCertificateEntry("ca" + n++, c);
            }
        }
        if (n == 0) {
            throw new IllegalArgumentException("no certificate in " + pem);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    // A long-running Java service (as an agent is) has its certificate path
    // code loaded and compiled long before it meets a server: check the trust
    // store's own certificates against the JDK's default trust store (cacerts,
    // which does not hold them: the check fails as the rejection does), so that
    // the handshake runs at that speed rather than a cold JVM's.  Nothing is
    // sent; without cacerts there is no warm-up.
    static void warmUp(String pem) {
        try (InputStream in = new FileInputStream(pem)) {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init((KeyStore) null);
            X509TrustManager tm = (X509TrustManager) tmf.getTrustManagers()[0];
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                for (int i = 0; i < 3; i++) {
                    try {
                        tm.checkServerTrusted(new X509Certificate[] {(X509Certificate) c}, "ECDHE_RSA");
                    } catch (CertificateException e) {
                        // expected
                    }
                }
            }
        } catch (Exception e) {
            // no warm-up
        }
    }

    static String line(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.write(c);
            }
        }
        if (c == -1 && b.size() == 0) {
            throw new IOException("connection closed before the response");
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    public static void main(String[] args) throws Exception {
        String host;
        String trust;
        int port;
        String path;
        long holdMs;
        try {
            host = arg(args, "--host", null);
            trust = arg(args, "--trust", null);
            port = Integer.parseInt(arg(args, "--port", "443"));
            path = arg(args, "--path", "/");
            holdMs = Long.parseLong(arg(args, "--hold-ms", "0"));
        } catch (IllegalArgumentException e) {
            System.err.println("usage: java Tls13Client.java --trust CA.pem --host NAME [--port 443] [--path /p] [--hold-ms N]: "
                    + e.getMessage());
            System.exit(1);
            return;
        }
        SSLContext ctx = context(trust);
        warmUp(trust);
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(host, port), 10000);
        plain.setSoTimeout(15000);
        boolean autoClose = holdMs == 0;
        SSLSocket tls = (SSLSocket) ctx.getSocketFactory().createSocket(plain, host, port, autoClose);
        tls.setEnabledProtocols(new String[] {"TLSv1.3"});
        SSLParameters params = tls.getSSLParameters();
        params.setServerNames(List.of(new SNIHostName(host)));
        params.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(params);
        try {
            tls.startHandshake();
        } catch (SSLHandshakeException e) {
            if (holdMs > 0) {
                Thread.sleep(holdMs);       // the alert is out; the TCP connection stays open
            }
            tls.close();
            plain.close();
            System.out.println("handshake failed: " + e.getMessage());
            System.exit(2);
        }
        OutputStream out = tls.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: Tls13Client/1.0 (Java "
                + System.getProperty("java.version") + ")\r\nAccept: application/json\r\n\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        InputStream in = tls.getInputStream();
        String status = line(in);
        long length = 0;
        for (String h = line(in); !h.isEmpty(); h = line(in)) {
            if (h.toLowerCase().startsWith("content-length:")) {
                length = Long.parseLong(h.substring(15).trim());
            }
        }
        for (long i = 0; i < length; i++) {
            if (in.read() == -1) {
                throw new IOException("response body cut after " + i + " of " + length + " bytes");
            }
        }
        String session = tls.getSession().getProtocol() + " " + tls.getSession().getCipherSuite();
        tls.close();
        System.out.println(status + " (" + session + ")");
        if (!status.matches("HTTP/1\\.[01] 2\\d\\d.*")) {
            System.exit(3);
        }
    }
}
