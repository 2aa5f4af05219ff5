package org.unmask.study;

import org.unmask.views.LossCurveSvg.Point;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.DoubleUnaryOperator;

/** Curves over seeds: the point-wise mean of the arms' validation curves, and where one mean curve crosses another. */
public final class Curves {
    private Curves() {}

    /** The mean over {@code arms} at each step that every arm validated at, x mapped by {@code x} of the first arm. */
    public static List<Point> mean(List<ArmResult> arms, DoubleUnaryOperator x) {
        if (arms.isEmpty()) return List.of();
        Map<Double, double[]> sums = new TreeMap<>();
        for (ArmResult a : arms)
            for (Point p : a.curve()) sums.computeIfAbsent(p.step(), k -> new double[2]);
        for (ArmResult a : arms)
            for (Point p : a.curve()) {
                double[] s = sums.get(p.step());
                s[0] += p.value();
                s[1]++;
            }
        List<Point> out = new ArrayList<>();
        for (var e : sums.entrySet())
            if (e.getValue()[1] == arms.size()) out.add(new Point(x.applyAsDouble(e.getKey()), e.getValue()[0] / arms.size()));
        return out;
    }

    /**
     * The x from which {@code a} stays below {@code b} to the end of their common points (the crossover), NaN when
     * {@code a} is not below {@code b} at their last common point.
     */
    public static double belowFrom(List<Point> a, List<Point> b) {
        Map<Double, Double> bs = new TreeMap<>();
        for (Point p : b) bs.put(p.step(), p.value());
        double from = Double.NaN;
        for (Point p : a) {
            Double other = bs.get(p.step());
            if (other == null) continue;
            if (p.value() < other) { if (Double.isNaN(from)) from = p.step(); }
            else from = Double.NaN;
        }
        return from;
    }

    /** The lowest value of a curve. */
    public static double min(List<Point> c) { return c.stream().mapToDouble(Point::value).min().orElse(Double.NaN); }

    /** The x of the lowest value of a curve. */
    public static double argmin(List<Point> c) {
        return c.stream().min(java.util.Comparator.comparingDouble(Point::value)).map(Point::step).orElse(Double.NaN);
    }
}
