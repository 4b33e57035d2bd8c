package dev.sandman.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/** Minimal headless PNG charts: labelled horizontal bars. */
final class Charts {
  private static final Color[] COLORS = {new Color(0xC0392B), new Color(0x2E86C1), new Color(0x27AE60), new Color(0x8E44AD)};

  record Bar(String label, double value, String text) {}

  static void bars(Path file, String title, String unit, List<Bar> bars) throws IOException {
    int width = 900;
    int rowHeight = 46;
    int height = 90 + rowHeight * bars.size();
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
    g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
    g.setColor(Color.WHITE);
    g.fillRect(0, 0, width, height);
    g.setColor(Color.DARK_GRAY);
    g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 18));
    g.drawString(title, 20, 32);
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    g.drawString(unit, 20, 54);
    double max = bars.stream().mapToDouble(Bar::value).max().orElse(1);
    int left = 230;
    int barMax = width - left - 160;
    for (int i = 0; i < bars.size(); i++) {
      Bar bar = bars.get(i);
      int y = 70 + i * rowHeight;
      g.setColor(Color.DARK_GRAY);
      g.drawString(bar.label(), 20, y + 22);
      int length = max <= 0 ? 0 : (int) Math.max(2, bar.value() / max * barMax);
      g.setColor(COLORS[i % COLORS.length]);
      g.fillRect(left, y + 6, length, 24);
      g.setColor(Color.DARK_GRAY);
      g.drawString(bar.text(), left + length + 8, y + 22);
    }
    g.setStroke(new BasicStroke(1));
    g.drawLine(left, 64, left, height - 12);
    g.dispose();
    ImageIO.write(image, "png", file.toFile());
  }

  private Charts() {}
}
